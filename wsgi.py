"""In a checkout, `flask --app wsgi ...` and `make serve`: the app of prospectra/wsgi.py."""

from prospectra.wsgi import app  # noqa: F401
