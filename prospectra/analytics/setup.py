"""Bind audience measurement to the app: the built-in counter and the tags of the providers."""

from __future__ import annotations

from flask import Flask
from flask import render_template
from markupsafe import Markup

from .. import state
from ..config import ConfigError
from ..consent import decision
from ..providers import ProviderError
from ..providers import pages
from . import builtin


def init_app(app: Flask) -> None:
    """Count page views if "builtin" is on; give templates the tags this page may carry."""
    if any(p.key == "builtin" for p in state.of(app).providers):
        app.after_request(builtin.count_page_view)
    app.jinja_env.globals["analytics_tags"] = _tags


def check_pages(app: Flask) -> None:
    """Once the pages exist: refuse a provider ``pages`` setting that names none of them."""
    try:
        pages.check(app, state.of(app).providers)
    except ProviderError as e:
        raise ConfigError(str(e)) from None


def _tags() -> Markup:
    """The tags this page carries: providers the visitor allows, on pages where they may run."""
    tags = []
    for provider in decision.current().active:
        if provider.template:
            # Rendered with autoescaping on: the template's output is already safe HTML.
            html = render_template(provider.template, provider=provider)
            tags.append(Markup(html))  # nosec B704
    return Markup("").join(tags)
