"""The conventional stack: the logged-in page as a Flask team writes it without this project's work.

The peer Prospectra's made pages are measured against, in the same run and under the same gunicorn
settings (bench/run.py): Flask-Login loading the user row through Flask-SQLAlchemy on every
request, Flask-Session keeping the session server-side (Redis, or SQLite in WAL mode through
Flask-Session's SQLAlchemy store), CSRFProtect with a logout form on the page, Talisman with its
defaults, ProxyFix for the TLS proxy in front. Nothing of Prospectra is imported.

Configured by environment variables: CONVENTIONAL_STORE ("redis" or "sqlite"),
CONVENTIONAL_REDIS_URL, CONVENTIONAL_DATABASE (a SQLite file) and CONVENTIONAL_SECRET_KEY.
``python -m bench.conventional_app create-user EMAIL PASSWORD`` adds the account the bench logs in with.
"""

from __future__ import annotations

import os
import sys

import redis
from flask import Flask
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
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


class User(UserMixin, db.Model):
    __tablename__ = "users"
    id = db.Column(db.Integer, primary_key=True)
    email = db.Column(db.String(254), unique=True, nullable=False)
    password_hash = db.Column(db.String(255), nullable=False)


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    return db.session.get(User, int(user_id))  # one SELECT on every logged-in request


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

    @app.get("/healthz")
    def healthz():
        return "ok"

    return app


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
