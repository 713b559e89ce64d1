"""Bind audience measurement to the app: the providers, their tags, the built-in counter."""

from __future__ import annotations

from flask import Flask
from flask import render_template
from markupsafe import Markup

from ..config import ConfigError
from ..consent import decision
from . import builtin
from . import pages
from .providers import ProviderError
from .providers import build


def init_app(app: Flask) -> None:
    """Build the providers once; count page views if "builtin" is on; render allowed tags."""
    providers = build(app.config["PROSPECTRA"])
    app.extensions["prospectra.providers"] = providers
    if any(p.key == "builtin" for p in providers):
        app.after_request(builtin.count_page_view)
    app.jinja_env.globals["analytics_tags"] = _tags


def check_pages(app: Flask) -> None:
    """Once the pages exist: refuse a provider ``pages`` setting that names none of them."""
    try:
        pages.check(app, app.extensions["prospectra.providers"])
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
