"""Bind audience measurement to the app: the providers, their tags, the built-in counter."""

from __future__ import annotations

from flask import Flask
from flask import render_template
from markupsafe import Markup

from ..consent import decision
from . import builtin
from .providers import build


def init_app(app: Flask) -> None:
    """Build the providers once; count page views if "builtin" is on; render allowed tags."""
    providers = build(app.config["PROSPECTRA"])
    app.extensions["prospectra.providers"] = providers
    if any(p.key == "builtin" for p in providers):
        app.after_request(builtin.count_page_view)
    app.jinja_env.globals["analytics_tags"] = _tags


def _tags() -> Markup:
    """The tags of the providers this visitor may be measured by; nothing otherwise."""
    tags = []
    for provider in decision.current().allowed:
        if provider.template:
            # Rendered with autoescaping on: the template's output is already safe HTML.
            html = render_template(provider.template, provider=provider)
            tags.append(Markup(html))  # nosec B704
    return Markup("").join(tags)
