"""The proxy's fallback headers (deploy/nginx/prospectra.conf, which the README points to) say what
the app itself sends, so they cannot drift apart."""

from __future__ import annotations

import re

from prospectra.paths import PROJECT_ROOT

SITE = PROJECT_ROOT / "deploy" / "nginx" / "prospectra.conf"
FALLBACK = re.compile(r'^map \$upstream_http_(\w+) \$\w+ \{ "" "([^"]+)"; default ""; \}$', re.M)


def test_the_readme_points_to_the_site_file_instead_of_a_copy():
    readme = (PROJECT_ROOT / "README.md").read_text()
    assert "deploy/nginx/prospectra.conf" in readme
    assert not FALLBACK.search(readme)  # one copy of the values: the shipped file's


def test_the_proxy_fallbacks_in_the_site_file_match_the_apps_headers(client):
    site = SITE.read_text()
    fallbacks = {name.replace("_", "-"): value for name, value in FALLBACK.findall(site)}
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
    # Beside proxy_pass, each fallback is added where the upstream response has no such header.
    proxied = site[site.index("proxy_pass") :]
    proxied = proxied[: proxied.index("}")]
    added = re.findall(r"^\s*add_header (\S+) \$fallback_\w+ always;$", proxied, re.M)
    assert {name.lower() for name in added} == set(fallbacks)
