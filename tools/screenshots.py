"""Screenshots of the consent banner's first layer and of Cookie settings, in English and French.

Run after any change to the banner, Cookie settings or their texts, and commit the images:

    .venv/bin/python tools/screenshots.py [--chromium /usr/bin/chromium] [--out docs]

The app is built from the repository with a demonstration set-up (the built-in, exempt
statistics and a third-party tag that needs consent, so both kinds of switch show), served on
127.0.0.1 and shown to a first-time visitor in Debian's Chromium (driven by Playwright, never
downloaded). Nothing is sent anywhere: the tag is not loaded before consent.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from prospectra import create_app  # noqa: E402
from prospectra.audit.chromium import chromium  # noqa: E402
from prospectra.audit.evidence import served  # noqa: E402

VIEWPORT = {"width": 1000, "height": 700}
DEMO = {
    "analytics": {
        "providers": ["builtin", "script"],
        "script": {
            "name": "Example Analytics",
            "controller": "Example Analytics Ltd",
            "category": "audience_measurement",
            "purpose": "Audience statistics by Example Analytics.",
            "purpose_fr": "Statistiques d'audience par Example Analytics.",
            "policy_url": "https://example.net/privacy",
            "src": "https://tags.example.net/tag.js",
            "cookies": [
                {
                    "name": "_ex",
                    "retention_days": 395,
                    "purpose": "Example visitor identifier.",
                    "purpose_fr": "Identifiant de visiteur d'Example.",
                }
            ],
        },
    }
}
# (file name, path, whole page?) for each language; "" for English, ".fr" for French.
SHOTS = [("consent-banner{}.png", "/", False), ("consent-preferences{}.png", "/consent", True)]


def take(executable: str, out: Path) -> list[Path]:
    """Write the screenshots into ``out`` and return their paths."""
    written = []
    with tempfile.TemporaryDirectory() as instance:
        app = create_app({"app": {"instance_path": instance}, **DEMO}, testing=True)
        with served(app) as url, chromium(executable) as (_, browser):
            for language, suffix in (("en", ""), ("fr", ".fr")):
                for name, path, full_page in SHOTS:
                    context = browser.new_context(viewport=VIEWPORT)  # a first-time visitor
                    page = context.new_page()
                    page.goto(f"{url}{path}?lang={language}", wait_until="load")
                    for detail in page.locator("details summary").all():
                        detail.click()  # show each provider's detail in the preferences
                    target = out / name.format(suffix)
                    page.screenshot(path=target, full_page=full_page)
                    written.append(target)
                    context.close()
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    parser.add_argument("--out", type=Path, default=ROOT / "docs")
    options = parser.parse_args()
    for path in take(options.chromium, options.out):
        print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)


if __name__ == "__main__":
    main()
