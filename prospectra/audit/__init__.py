"""The cookie audit of a live deployment and the evidence bundle (`flask --app wsgi privacy ...`).

Playwright is an optional extra (``pip install 'prospectra[audit]'``): the modules that drive the
browser import it only when a command runs, so the application never needs it.
"""
