"""gunicorn settings: `gunicorn -c config/gunicorn.conf.py wsgi:app` (behind a TLS proxy)."""

import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", "2"))
worker_class = "sync"  # one connection per request: no keep-alive pinning behind a proxy
timeout = 30
graceful_timeout = 20
# The proxy in front is trusted for X-Forwarded-* by the app's [proxy] settings (ProxyFix);
# gunicorn's own forwarded-header handling is limited to the local proxy.
forwarded_allow_ips = "127.0.0.1"
accesslog = "-"
errorlog = "-"
