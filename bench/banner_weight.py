"""Measure what the consent banner adds to a page: HTML, CSS and JS bytes, raw and gzip -9.

Run: .venv/bin/python bench/banner_weight.py  (compare with research/consent.md, section 3:
tarteaucitron.js 60,404 B gzipped, vanilla-cookieconsent 15,513 B gzipped).
"""

from __future__ import annotations

import gzip
import re
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from prospectra import create_app  # noqa: E402

SCRIPT = {
    "name": "Example Analytics",
    "controller": "Example Analytics Ltd",
    "category": "audience_measurement",
    "policy_url": "https://example.net/privacy",
    "src": "https://tags.example.net/tag.js",
    "origins": [],
    "purpose": "Audience statistics.",
    "cookies": [{"name": "_ex", "retention_days": 395, "purpose": "Visitor identifier."}],
}


def gz(data: bytes) -> int:
    return len(gzip.compress(data, compresslevel=9))


def main() -> None:
    with tempfile.TemporaryDirectory() as instance:
        app = create_app(
            {
                "app": {"instance_path": instance},
                "analytics": {"providers": ["script"], "script": SCRIPT},
            },
            testing=True,
        )
        html = app.test_client().get("/", base_url="https://localhost").get_data()
    banner = re.search(rb'<section class="consent-banner".*?</section>', html, re.S).group(0)
    css = (Path(app.static_folder) / "style.css").read_text()
    rules = "\n".join(re.findall(r"\.(?:consent-[\w-]+|check)[^{]*\{[^}]*\}", css)).encode()
    with_banner, without = gz(html), gz(html.replace(banner, b""))
    print(
        f"banner HTML: {len(banner)} B raw, {gz(banner)} B gzip alone, +{with_banner - without} B in the gzipped page"
    )
    print(f"banner CSS rules: {len(rules)} B raw, {gz(rules)} B gzip alone (inside style.css)")
    print("banner JS: 0 B (plain HTML forms)")
    print(f"total alone, gzip: {gz(banner) + gz(rules)} B")


if __name__ == "__main__":
    main()
