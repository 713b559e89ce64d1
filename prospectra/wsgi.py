"""The WSGI entry point: `gunicorn prospectra.wsgi:app`, `flask --app prospectra.wsgi ...`."""

import sys

from prospectra import create_app
from prospectra.config import ConfigError

try:
    app = create_app()
except ConfigError as error:
    sys.exit(f"prospectra: configuration error: {error}")
