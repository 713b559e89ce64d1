"""Log in and log out: the auth blueprint and its binding of Flask-Login."""

from flask import Flask

from ..extensions import login_manager
from .views import bp
from .views import load_user

__all__ = ["bp", "init_app"]


def init_app(app: Flask) -> None:
    """Bind Flask-Login: the login page for protected ones, no flashed message, the user loader."""
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None  # a flashed message would store a session for a visitor
    # Flask-Login's "basic" protection only marks a session not fresh when the address or browser
    # changes; nothing here asks for a fresh login, so it would cost a SHA-512 on every page.
    login_manager.session_protection = None
    login_manager.user_loader(load_user)
