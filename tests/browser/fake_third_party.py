"""A stand-in for a third-party analytics tag, served on another loopback origin.

Its script does what such tags do: deposit a first-party cookie from JavaScript and send a
beacon home. Every request it receives is logged, so a test can tell whether it was contacted.
"""

from __future__ import annotations

from http.server import BaseHTTPRequestHandler

from tests.peers import HttpPeer

TAG = b"""document.cookie = "_ex=EX1." + Date.now() + "; path=/; max-age=34128000; secure; samesite=lax";
fetch(document.currentScript.src.replace("tag.js", "collect"), {mode: "no-cors"});
"""
# The same tag as a careless template would paste it: it also keeps a key in localStorage and
# logs markup to the console (the audit's HTML report must show it escaped).
TRACKER = (
    TAG
    + b"""localStorage.setItem("_ex_seen", String(Date.now()));
console.log("<b>tracker</b> loaded");
"""
)

# A GA-like tag whose cookies have scopes of their own, read from its URL's query: `_ga` on the
# `domain` given (absent: host-only), `_ga_X` under the `path` given ("/" by default). As such
# tags do, it writes them from any page it runs on, whichever path they are scoped to.
GA_TAG = b"""(function () {
  var query = new URL(document.currentScript.src).searchParams;
  var rest = "; max-age=34128000; secure; samesite=lax";
  var domain = query.get("domain") ? "; domain=" + query.get("domain") : "";
  document.cookie = "_ga=GA1.1." + Date.now() + "; path=/" + domain + rest;
  document.cookie = "_ga_X=GS1.1." + Date.now() + "; path=" + (query.get("path") || "/") + rest;
  fetch(document.currentScript.src.replace(/ga\\.js.*$/, "collect"), {mode: "no-cors"});
}());
"""

# A Matomo-like tracker, as the app's matomo-init.js loads it: the visitor and visit cookies for
# the site id it was given, and, as Matomo does, a test cookie written (without Secure) and
# deleted at once.
MATOMO = b"""(function () {
  var site = (window._paq || []).filter(function (c) { return c[0] === "setSiteId"; })[0][1];
  var rest = "; path=/; secure; samesite=lax";
  document.cookie = "_pk_testcookie_domain=testvalue; path=/";
  document.cookie = "_pk_testcookie_domain=; max-age=0; path=/";
  document.cookie = "_pk_id." + site + ".a1b2=f00." + Math.floor(Date.now() / 1000) +
    "; max-age=34128000" + rest;
  document.cookie = "_pk_ses." + site + ".a1b2=1; max-age=1800" + rest;
  fetch(document.currentScript.src.replace("matomo.js", "matomo.php"), {mode: "no-cors"});
}());
"""


class FakeThirdParty(HttpPeer):
    def __init__(self) -> None:
        self.requests: list[str] = []
        log = self.requests

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                log.append(self.path)
                scripts = {"/tag.js": TAG, "/tracker.js": TRACKER, "/ga.js": GA_TAG,
                           "/matomo.js": MATOMO}  # fmt: skip
                body = scripts.get(self.path.split("?")[0], b"")
                self.send_response(200)
                self.send_header("Content-Type", "text/javascript")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        super().__init__(Handler)
        self.origin = f"http://localhost:{self.port}"
