"""The README's proxy fallback headers say what the app itself sends, so they cannot drift apart."""

from __future__ import annotations

import re

from prospectra.config import PROJECT_ROOT

FALLBACK = re.compile(r'map \$upstream_http_(\w+) \$\w+ \{ "" "([^"]+)"; default ""; \}')


def test_the_proxy_fallbacks_in_the_readme_match_the_apps_headers(client):
    readme = (PROJECT_ROOT / "README.md").read_text()
    fallbacks = {name.replace("_", "-"): value for name, value in FALLBACK.findall(readme)}
    headers = client.get("/").headers
    assert set(fallbacks) == {"content-security-policy", "strict-transport-security",
                              "x-frame-options", "x-content-type-options", "referrer-policy"}  # fmt: skip
    for name, value in fallbacks.items():
        if name != "content-security-policy":
            assert headers[name] == value, name
    # Gunicorn's and the proxy's own pages load nothing: a policy stricter than the app's.
    assert fallbacks["content-security-policy"] == (
        "default-src 'none'; frame-ancestors 'none'; base-uri 'none'"
    )
    assert len(re.findall(r"^add_header (\S+) \$fallback_\w+ always;$", readme, re.M)) == 5
