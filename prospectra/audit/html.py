"""The HTML report: one self-contained file a compliance officer opens without the terminal.

Rendered by Jinja with autoescaping on: every URL, cookie name and console text comes from the
audited site and is escaped. CSS is inline and screenshots are data: URIs, so the file travels
alone (attached to a ticket, archived with the evidence).
"""

from __future__ import annotations

import base64
from pathlib import Path

from jinja2 import Environment
from jinja2 import FileSystemLoader
from jinja2 import select_autoescape

from . import report
from .crawl import KEY_STEPS
from .findings import Finding
from .records import AuditRecord
from .records import PageRecord

# Pages whose screenshot goes into the report: where a journey starts or changes state, and any
# page with a finding. All of them would make the file tens of megabytes.

_environment = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
)


def _data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def _screenshots(audit: AuditRecord, found: list[Finding]) -> dict[str, list[dict]]:
    with_findings = {(f.journey, p) for f in found for p in f.pages}
    shots: dict[str, list[dict]] = {}
    for journey in audit.journeys:
        shots[journey.name] = [
            {"page": page, "src": _data_uri(page.png)}
            for page in journey.pages
            if page.png and _worth_showing(page, journey.name, with_findings)
        ]
    return shots


def _worth_showing(page: PageRecord, journey: str, with_findings: set) -> bool:
    return page.via in KEY_STEPS or (journey, page.url) in with_findings


def render(audit: AuditRecord, found: list[Finding]) -> str:
    """The report as one HTML document."""
    return _environment.get_template("report.html").render(
        audit=audit,
        findings=found,
        summary=report.summary(audit, found),
        cookies=report.cookie_rows(audit),
        screenshots=_screenshots(audit, found),
    )
