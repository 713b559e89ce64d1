"""The legal pages and help, in English and French, as text, for two set-ups (issue 15's review).

Run after any change to a legal page, its texts or the settings they state, and commit the files:

    .venv/bin/python tools/legal_pages.py [--out docs/legal]

The app is built from the repository twice, in development with a temporary instance folder (no
secret needed), the legal mentions taken from config/production.example.toml's [service] and
[hosting] so the pages state the example's: "defaults" (no measurement, assistant off) and
"tag-and-assistant" (a third-party tag that needs consent, and the writing assistant on OpenAI's
API). Each page's <main> is written as Markdown-like text to <out>/<set-up>/<page>.<lang>.md.
Nothing is sent anywhere: pages are rendered by the Flask test client. The "Last updated" dates
are those of a fresh instance, so the day the tool runs.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import tomllib
import warnings
from html.parser import HTMLParser
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from prospectra import create_app  # noqa: E402

EXAMPLE = ROOT / "config" / "production.example.toml"
# tests/measurement.py's SCRIPT, copied: a tool does not import the tests.
SCRIPT = {
    "name": "Example Analytics",
    "src": "https://tags.example.net/tag.js",
    "origins": ["https://collect.example.net"],
    "controller": "Example Analytics Ltd",
    "role": "controller",
    "country": "IE",
    "category": "audience_measurement",
    "purpose": "Audience statistics by Example Analytics.",
    "purpose_fr": "Statistiques d'audience par Example Analytics.",
    "policy_url": "https://example.net/privacy",
    "retention_months": 14,
    "cookies": [
        {
            "name": "_ex",
            "retention_days": 395,
            "purpose": "Example visitor identifier.",
            "purpose_fr": "Identifiant de visiteur d'Example.",
        }
    ],
}
# The example's commented-out [assist] set-up, with the provider on.
ASSIST = {
    "provider": "openai",
    "base_url": "https://api.openai.com/v1",
    "model": "gpt-4o-mini",
    "legal_name": "OpenAI, L.L.C.",
    "role": "processor",
    "country": "US",
    "transfer_safeguard": "dpf",
    "privacy_policy_url": "https://openai.com/policies/privacy-policy/",
    "retention_days": 30,
}
SETUPS = {
    "defaults": {"analytics": {"providers": []}, "assist": {"provider": "none"}},
    "tag-and-assistant": {
        "analytics": {"providers": ["script"], "script": SCRIPT},
        "assist": ASSIST,
    },
}
PAGES = {
    "cookies": "/legal/cookies",
    "privacy": "/legal/privacy",
    "notice": "/legal/notice",
    "terms": "/legal/terms",
    "help": "/help/",
}
LANGUAGES = ("en", "fr")


def mentions() -> dict:
    """The example's legal mentions, [service] and [hosting], as ops would set them."""
    with EXAMPLE.open("rb") as f:
        example = tomllib.load(f)
    return {"service": example["service"], "hosting": example["hosting"]}


def write(out: Path) -> list[Path]:
    """Render every page of every set-up in each language into ``out``; return the files' paths."""
    written = []
    for setup, overrides in SETUPS.items():
        with tempfile.TemporaryDirectory() as instance:
            settings = {"app": {"instance_path": instance}, **mentions(), **overrides}
            app = create_app(settings, testing=True)
            client = app.test_client()
            for page, path in PAGES.items():
                for language in LANGUAGES:
                    url = f"{path}?lang={language}"
                    response = client.get(url, base_url="https://localhost")
                    if response.status_code != 200:
                        raise SystemExit(f"{setup}: {url} answered {response.status}")
                    text = as_text(response.get_data(as_text=True), language)
                    target = out / setup / f"{page}.{language}.md"
                    target.parent.mkdir(parents=True, exist_ok=True)
                    header = (
                        f"<!-- {url}, set-up {setup}: written by tools/legal_pages.py, "
                        "do not edit. -->\n\n"
                    )
                    target.write_text(header + text, encoding="utf-8")
                    written.append(target)
    return written


def as_text(html: str, language: str) -> str:
    """The page's <main> as Markdown-like text (no-break spaces kept, entities unescaped)."""
    parser = _MainText(colon="\u00a0: " if language == "fr" else ": ")
    parser.feed(html)
    parser.close()
    return parser.text()


# Only ASCII white space collapses: the pages' no-break spaces (French typography) are kept.
_SPACE = re.compile(r"[ \t\r\n\f]+")
_BLOCKS = {"p", "div", "nav", "section", "article", "header", "footer", "details", "summary"}
_SKIPPED = {"script", "style", "template", "form", "button", "svg"}


class _MainText(HTMLParser):
    """Collect the text of <main>: headings, paragraphs, lists, definition lists and tables."""

    def __init__(self, colon: str) -> None:
        super().__init__(convert_charrefs=True)
        self.colon = colon
        self.depth = 0  # inside <main> when > 0
        self.skipping = 0
        self.blocks: list[tuple[str, str]] = []  # (kind, text); list items and rows sit together
        self.inline: list[str] = []
        self.links: list[tuple[str, int]] = []
        self.lists = 0
        self.term = ""
        self.table: list[list[tuple[str, str]]] | None = None  # rows of (scope, text)
        self.caption = ""
        self.cell: str | None = None

    def text(self) -> str:
        out = []
        for i, (kind, text) in enumerate(self.blocks):
            together = i and kind in ("item", "row") and self.blocks[i - 1][0] == kind
            out.append(("\n" if together else "\n\n") if i else "")
            out.append(text)
        lines = "".join(out).split("\n")
        return "\n".join(line.rstrip(" \t") for line in lines).strip("\n") + "\n"

    def _words(self) -> str:
        return _SPACE.sub(" ", "".join(self.inline)).strip(" ")

    def _flush(self, kind: str = "para", prefix: str = "") -> None:
        words = self._words()
        self.inline = []
        if words:
            self.blocks.append((kind, prefix + words))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "main":
            self.depth += 1
            return
        if not self.depth:
            return
        if self.skipping or tag in _SKIPPED or dict(attrs).get("hidden") is not None:
            if tag not in ("br", "img", "input", "meta", "link", "hr"):
                self.skipping += 1
            return
        if tag in _BLOCKS or tag in ("h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "dl", "table"):
            self._flush()
        if tag in ("ul", "ol"):
            self.lists += 1
        elif tag == "li":
            self._flush("item", "  " * (self.lists - 1) + "- ")
        elif tag == "table":
            self.table, self.caption = [], ""
        elif tag == "tr" and self.table is not None:
            self.table.append([])
        elif tag in ("th", "td") and self.table is not None:
            self.inline, self.cell = [], dict(attrs).get("scope") or tag
        elif tag == "caption":
            self.inline = []
        elif tag == "dt":
            self.inline = []
        elif tag == "dd":
            self.inline = []
        elif tag == "a":
            self.links.append((dict(attrs).get("href") or "", len(self.inline)))
        elif tag == "code":
            self.inline.append("`")
        elif tag == "strong":
            self.inline.append("**")
        elif tag == "br":
            self.inline.append(" " if self.cell else "\n")

    def handle_endtag(self, tag: str) -> None:
        if tag == "main":
            self._flush()
            self.depth -= 1
            return
        if not self.depth:
            return
        if self.skipping:
            if tag not in ("br", "img", "input", "meta", "link", "hr"):
                self.skipping -= 1
            return
        if tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
            self._flush("heading", "#" * int(tag[1]) + " ")
        elif tag in _BLOCKS:
            self._flush()
        elif tag in ("ul", "ol"):
            self._flush("item", "  " * (self.lists - 1) + "- ")
            self.lists -= 1
        elif tag == "li":
            self._flush("item", "  " * (self.lists - 1) + "- ")
        elif tag == "dt":
            self.term, self.inline = self._words(), []
        elif tag == "dd":
            self._flush("row", f"{self.term}{self.colon}")
        elif tag == "caption":
            self.caption, self.inline = self._words(), []
        elif tag in ("th", "td") and self.table is not None and self.cell:
            cell = self._words().replace("|", "\\|")
            self.table[-1].append((self.cell, cell))
            self.inline, self.cell = [], None
        elif tag == "table" and self.table is not None:
            self._table_blocks()
            self.table = None
        elif tag == "a" and self.links:
            href, start = self.links.pop()
            label = _SPACE.sub(" ", "".join(self.inline[start:])).strip()
            shown = href.removeprefix("mailto:")
            if href and not href.startswith("#") and shown != label:
                self.inline.append(f" ({href})")
        elif tag == "code":
            self.inline.append("`")
        elif tag == "strong":
            self.inline.append("**")

    def handle_data(self, data: str) -> None:
        if self.depth and not self.skipping:
            self.inline.append(data)

    def _table_blocks(self) -> None:
        """A table with column headers as a Markdown table; one of row headers as "Row: value"."""
        rows = [row for row in self.table or [] if row]
        if self.caption:
            self.blocks.append(("para", f"**{self.caption}**"))
        if rows and all(scope == "col" for scope, _ in rows[0]):
            header, *body = rows
            lines = ["| " + " | ".join(cell for _, cell in header) + " |"]
            lines.append("|" + "---|" * len(header))
            lines += ["| " + " | ".join(cell for _, cell in row) + " |" for row in body]
            self.blocks.append(("para", "\n".join(lines)))
            return
        for row in rows:
            (_, first), *rest = row
            value = "; ".join(cell for _, cell in rest)
            self.blocks.append(("row", f"{first}{self.colon}{value}" if rest else first))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "legal")
    options = parser.parse_args(argv)
    # Flask-Session declares its model anew for the second app (as in the tests, pyproject.toml).
    warnings.filterwarnings("ignore", "This declarative base already contains a class", Warning)
    for path in write(options.out):
        print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)


if __name__ == "__main__":
    main()
