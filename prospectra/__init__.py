"""Prospectra: a Flask service whose only cookies are the two strictly necessary ones."""

from __future__ import annotations

from typing import Any

from flask import Flask

from . import auth
from . import caching
from . import cli
from . import config
from . import counters
from . import database
from . import errors
from . import formatting
from . import i18n
from . import providers
from . import proxy
from . import security
from . import sessions
from . import state
from . import static_files
from . import templating
from .analytics import setup as analytics
from .analytics.views import bp as analytics_bp
from .consent import decision as consent
from .consent import withdrawal
from .consent.views import bp as consent_bp
from .dashboard import bp as dashboard_bp
from .health import bp as health_bp
from .health import probes
from .help import bp as help_bp
from .home import bp as home_bp
from .legal import bp as legal_bp
from .mail import crypto as mail_crypto
from .mail.views import bp as mail_bp
from .privacy import banner
from .privacy import guard
from .privacy import policy
from .privacy import versions

BLUEPRINTS = (
    home_bp,
    auth.bp,
    dashboard_bp,
    mail_bp,
    legal_bp,
    help_bp,
    consent_bp,
    analytics_bp,
    health_bp,
)


def create_app(overrides: dict[str, Any] | None = None, *, testing: bool = False) -> Flask:
    """Build the application from the settings (default.toml, $PROSPECTRA_CONFIG, PROSPECTRA_*).

    :param overrides: nested settings applied last, as tests do.
    :raises prospectra.config.ConfigError: when a setting is invalid.
    """
    settings = config.load_settings(overrides)
    app = templating.App(__name__, instance_path=str(config.checked_instance_folder(settings)))
    app.testing = testing
    config.init_app(app, settings)
    state.init_app(app, shared_state(app))

    # Extensions, in dependency order: the database (and its migrations) before the session store.
    database.init_app(app)
    sessions.init_app(app)
    auth.init_app(app)
    i18n.init_app(app)
    formatting.init_app(app)
    analytics.init_app(app)
    consent.init_app(app)
    withdrawal.init_app(app)
    versions.init_app(app)
    security.init_app(app)
    static_files.init_app(app)
    caching.init_app(app, variants=(sessions.page_variant, consent.page_variant))
    for bp in BLUEPRINTS:
        app.register_blueprint(bp)
    analytics.check_pages(app)
    errors.init_app(app)
    cli.init_app(app)
    database.make_first_contact(app)  # or before a later request, if the database is down

    # Outermost layers, innermost first: replay public pages to cookieless visitors, trust the
    # configured proxies, let health probes in by any Host, then let no undeclared cookie out.
    app.wsgi_app = caching.wrap(app)
    app.wsgi_app = proxy.wrap(app)
    app.wsgi_app = probes.wrap(app)
    app.wsgi_app = guard.wrap(app)
    return app


def shared_state(app: Flask) -> state.ProspectraState:
    """What the settings give every request, worked out once (see :mod:`prospectra.state`)."""
    settings = app.config["PROSPECTRA"]
    configured = tuple(providers.build(settings))
    banner_on, reason = banner.banner_decision(settings, list(configured))
    return state.ProspectraState(
        providers=configured,
        declaration=policy.declaration(settings),
        banner=banner_on,
        banner_reason=reason,
        mail_fernet=mail_crypto.cipher(settings["mail"], app.secret_key),
        counters=counters.build(settings["limits"]["storage_uri"]),
    )
