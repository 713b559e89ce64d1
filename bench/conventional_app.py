"""The conventional stack: the logged-in page as a Flask team writes it without this project's work.

The peer Prospectra's made pages are measured against, in the same run and under the same gunicorn
settings (bench/run.py): Flask-Login loading the user row through Flask-SQLAlchemy on every
request, Flask-Session keeping the session server-side (Redis, or SQLite in WAL mode through
Flask-Session's SQLAlchemy store), CSRFProtect with a logout form on the page, Talisman with its
defaults, ProxyFix for the TLS proxy in front. Nothing of Prospectra is imported.

The page is Prospectra's dashboard (the issue's yardstick is "the same logged-in page"): the same
text and layout, navigation with the language switch and footer, the layout in English or French
with Flask-Babel (``?lang=`` or Accept-Language), every link built with ``url_for``. The French
catalogue is the project's, read as data: a team would have its own with the same texts. The pages
the layout links to exist, with the same layout, so that ``url_for`` can build their links.

Configured by environment variables: CONVENTIONAL_STORE ("redis" or "sqlite"),
CONVENTIONAL_REDIS_URL, CONVENTIONAL_DATABASE (a SQLite file) and CONVENTIONAL_SECRET_KEY.
``python -m bench.conventional_app create-user EMAIL PASSWORD`` adds the account the bench logs in with.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import redis
from flask import Flask
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_babel import Babel
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import LoginManager
from flask_login import UserMixin
from flask_login import current_user
from flask_login import login_required
from flask_login import login_user
from flask_login import logout_user
from flask_session import Session
from flask_sqlalchemy import SQLAlchemy
from flask_talisman import Talisman
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import event
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.security import check_password_hash
from werkzeug.security import generate_password_hash

db = SQLAlchemy()
login_manager = LoginManager()
LANGUAGES = {"en": "English", "fr": "Français"}
TRANSLATIONS = Path(__file__).resolve().parent.parent / "prospectra" / "translations"
# The pages the layout links to: endpoint -> (rule, title).
PAGES = {
    "home": ("/", "Prospectra"),
    "favicon": ("/favicon.ico", "Prospectra"),
    "messages": ("/mail/", "Messages"),
    "account": ("/account", "Account"),
    "cookie_settings": ("/consent", "Cookie settings"),
    "cookie_policy": ("/legal/cookies", "Cookie policy"),
    "privacy_policy": ("/legal/privacy", "Privacy policy"),
    "legal_notice": ("/legal/notice", "Legal notice"),
    "terms": ("/legal/terms", "Terms of use"),
    "help": ("/help/", "Help"),
    "help_cookies": ("/help/cookies", "Managing cookies"),
}


class User(UserMixin, db.Model):
    __tablename__ = "users"
    id = db.Column(db.Integer, primary_key=True)
    email = db.Column(db.String(254), unique=True, nullable=False)
    password_hash = db.Column(db.String(255), nullable=False)


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    return db.session.get(User, int(user_id))  # one SELECT on every logged-in request


def select_locale() -> str:
    lang = request.args.get("lang")
    if lang in LANGUAGES:
        return lang
    return request.accept_languages.best_match(LANGUAGES, "en")


def create_app() -> Flask:
    app = Flask(__name__, template_folder="templates/conventional")
    store = os.environ.get("CONVENTIONAL_STORE", "sqlite")
    database = os.environ.get("CONVENTIONAL_DATABASE", "/tmp/conventional.sqlite3")
    app.config.update(
        SECRET_KEY=os.environ.get("CONVENTIONAL_SECRET_KEY", "conventional-bench-secret"),
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{database}",
        SESSION_PERMANENT=False,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        BABEL_TRANSLATION_DIRECTORIES=str(TRANSLATIONS),
        PUBLISHER="Prospectra SAS",
        DOMAIN="app.prospectra.example",
        CONTACT_EMAIL="privacy@prospectra.example",
    )
    if store == "redis":
        app.config.update(
            SESSION_TYPE="redis",
            SESSION_REDIS=redis.Redis.from_url(os.environ["CONVENTIONAL_REDIS_URL"]),
        )
    else:
        app.config.update(SESSION_TYPE="sqlalchemy", SESSION_SQLALCHEMY=db)
    db.init_app(app)
    with app.app_context():
        event.listen(db.engine, "connect", _wal)
    Session(app)
    with app.app_context():
        db.create_all()
    login_manager.init_app(app)
    login_manager.login_view = "login"
    CSRFProtect(app)
    Talisman(app)
    Babel(app, locale_selector=select_locale)
    app.jinja_env.globals.update(languages=LANGUAGES, get_locale=get_locale)
    app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)

    @app.get("/login")
    def login_form():
        return render_template("login.html")

    @app.post("/login")
    def login():
        user = db.session.execute(
            db.select(User).filter_by(email=request.form.get("email", ""))
        ).scalar_one_or_none()
        if user is None or not check_password_hash(user.password_hash, request.form["password"]):
            return render_template("login.html", error=True), 200
        login_user(user)
        return redirect(url_for("dashboard"), 303)

    @app.get("/dashboard")
    @login_required
    def dashboard():
        return render_template("dashboard.html", user=current_user)

    @app.post("/logout")
    @login_required
    def logout():
        logout_user()
        return redirect(url_for("login_form"), 303)

    for endpoint, (rule, title) in PAGES.items():
        app.add_url_rule(rule, endpoint, _page(title))

    @app.get("/healthz")
    def healthz():
        return "ok"

    return app


def _page(title: str):
    def page():
        return render_template("page.html", title=_(title))

    return page


def _wal(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


app = create_app()

if __name__ == "__main__" and sys.argv[1:2] == ["create-user"]:
    email, password = sys.argv[2:4]
    with app.app_context():
        db.session.add(User(email=email, password_hash=generate_password_hash(password)))
        db.session.commit()
