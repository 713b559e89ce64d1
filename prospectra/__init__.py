"""Prospectra: a Flask service whose only cookies are the two strictly necessary ones."""

from __future__ import annotations

from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from . import caching
from . import cli
from . import database
from . import errors
from . import i18n
from . import security
from . import sessions
from . import static_files
from .analytics import setup as analytics
from .analytics.views import bp as analytics_bp
from .auth import bp as auth_bp
from .config import check_instance
from .config import flask_config
from .config import instance_folder
from .config import load_settings
from .consent import decision as consent
from .consent import withdrawal
from .consent.views import bp as consent_bp
from .dashboard import bp as dashboard_bp
from .extensions import limiter
from .extensions import login_manager
from .health import bp as health_bp
from .health.probes import AnyHostForProbes
from .help import bp as help_bp
from .home import bp as home_bp
from .legal import bp as legal_bp
from .mail import crypto as mail_crypto
from .mail.views import bp as mail_bp
from .privacy import policy
from .privacy import registry
from .privacy import versions
from .privacy.guard import CookieGuard


def create_app(overrides: dict[str, Any] | None = None, *, testing: bool = False) -> Flask:
    """Build the application from the settings (default.toml, $PROSPECTRA_CONFIG, PROSPECTRA_*).

    :param overrides: nested settings applied last, as tests do.
    :raises prospectra.config.ConfigError: when a setting is invalid.
    """
    settings = load_settings(overrides)
    # `flask --app wsgi --help` (or a group alone) only lists commands: no instance folder, secret
    # key file, database file, upgrade or version row.
    listing = cli.only_help()
    instance_path = instance_folder(settings)
    if not listing:
        check_instance(settings, instance_path)  # before the secret key or a database is created
    app = Flask(__name__, instance_path=str(instance_path))
    app.testing = testing
    app.config.from_mapping(flask_config(settings, instance_path, write=not listing))

    # Extensions, in dependency order: the database (and its migrations) before the session store.
    database.init_app(app, start=not listing)
    sessions.init_app(app)
    login_manager.init_app(app)
    limiter.init_app(app)
    i18n.init_app(app)
    analytics.init_app(app)
    policy.init_app(app)
    consent.init_app(app)
    withdrawal.init_app(app)
    if not listing:
        versions.init_app(app)
    mail_crypto.init_app(app)
    security.init_app(app)
    static_files.init_app(app)
    caching.init_app(app, variants=(sessions.page_variant, consent.page_variant))

    blueprints = (
        home_bp,
        auth_bp,
        dashboard_bp,
        mail_bp,
        legal_bp,
        help_bp,
        consent_bp,
        analytics_bp,
        health_bp,
    )
    for bp in blueprints:
        app.register_blueprint(bp)
    analytics.check_pages(app)
    errors.init_app(app)
    cli.init_app(app)
    app.context_processor(lambda: {"service": settings["service"]})
    if not listing and not cli.manages_schema():
        database.make_first_contact(app)  # or before a later request, if the database is down

    # Outermost layers: replay public pages to cookieless visitors (audience measurement counts
    # every view: with a provider, every request reaches the app), trust the configured proxies,
    # let health probes in by any Host, then let no undeclared cookie out.
    app.wsgi_app = caching.wrap(app.wsgi_app, replay=not app.extensions["prospectra.providers"])
    proxy = settings["proxy"]
    app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxy["x_for"], x_proto=proxy["x_proto"],
                            x_host=proxy["x_host"])  # fmt: skip
    app.wsgi_app = AnyHostForProbes(app.wsgi_app, settings["service"]["domain"])
    app.wsgi_app = CookieGuard(
        app.wsgi_app,
        registry.declared(settings),
        strict=app.debug or app.testing or settings["app"]["environment"] != "production",
    )
    return app
