"""A deliberately broken deployment, for the audit's tests: `gunicorn tests.audit_broken_wsgi:app`.

The breakage sits outside the application and its cookie guard, where a misconfigured proxy or a
hand-edited page would put it, since the guard would refuse it inside: every HTML page loads the
measurement tag before any consent (a variant that also writes localStorage) and sets an
undeclared cookie, the CSRF cookie loses HttpOnly, the app's deletions of the tag's cookie (its
withdrawal and its sweep of cookies set without consent) are dropped, and the CSP is widened to
let the tag in.
Each page also links first to a download, which a browser cannot show as a page.
"""

import os

from werkzeug.wrappers import Response

from prospectra import create_app

TAG_ORIGIN = os.environ["AUDIT_TEST_TAG_ORIGIN"]


def _widen(csp: str) -> str:
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    for name in ("script-src", "connect-src"):
        directives[name] = directives.get(name, "'self'") + " " + TAG_ORIGIN
    return "; ".join(f"{name} {value}" for name, value in directives.items())


class Tamper:
    def __init__(self, wsgi_app) -> None:
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        if environ["PATH_INFO"] == "/export.csv":
            export = Response("a,b\n", mimetype="text/csv")
            export.headers["Content-Disposition"] = "attachment; filename=export.csv"
            return export(environ, start_response)
        response = Response.from_app(self.wsgi_app, environ)
        cookies = [
            h.replace("; HttpOnly", "") if h.startswith("__Host-csrf=") else h
            for h in response.headers.getlist("Set-Cookie")
            if not h.startswith("_ex=")
        ]
        response.headers.setlist("Set-Cookie", cookies)
        if response.mimetype == "text/html":
            tag = f'<script src="{TAG_ORIGIN}/tracker.js" async></script></head>'
            html = response.get_data(as_text=True).replace("</head>", tag, 1)
            html = html.replace("<body>", '<body><a href="/export.csv">Export</a>', 1)
            response.set_data(html)
            response.headers.add("Set-Cookie", "promo=spring; Path=/; Max-Age=31536000")
            csp = response.headers["Content-Security-Policy"]
            response.headers["Content-Security-Policy"] = _widen(csp)
        return response(environ, start_response)


app = Tamper(create_app())
