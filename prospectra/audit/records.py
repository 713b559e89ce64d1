"""What the audit saw: journeys of pages, and per page the cookies, storage, requests, console.

Plain dataclasses, so the JSON report is their ``asdict`` and findings are computed from them
alone (tests build them by hand, without a browser).
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from typing import Any
from urllib.parse import urlsplit

# Consent state of a journey: the banner was never answered, refused or accepted.
NOT_ASKED = "not given"
REFUSED = "refused"
ACCEPTED = "accepted"
# The journey that accepts, then withdraws its consent from the footer's Cookie settings.
WITHDRAW_JOURNEY = "accept, then withdraw"


@dataclass
class CookieRecord:
    """One cookie of the browser's jar; its value is never kept (it may be a session id)."""

    name: str
    domain: str
    path: str
    expires: float | None  # Unix time; None: deleted when the browser session ends
    http_only: bool
    secure: bool
    same_site: str
    size: int  # length of name and value, as browsers count it

    @classmethod
    def from_playwright(cls, cookie: dict[str, Any]) -> CookieRecord:
        expires = cookie.get("expires", -1)
        return cls(
            name=cookie["name"],
            domain=cookie["domain"],
            path=cookie["path"],
            expires=None if expires is None or expires < 0 else float(expires),
            http_only=bool(cookie.get("httpOnly")),
            secure=bool(cookie.get("secure")),
            same_site=cookie.get("sameSite") or "",
            size=len(cookie["name"]) + len(cookie.get("value", "")),
        )


@dataclass
class RequestRecord:
    url: str
    method: str
    resource_type: str  # Chromium's: document, script, fetch, image...
    origin: str = field(init=False)

    def __post_init__(self) -> None:
        parts = urlsplit(self.url)
        self.origin = f"{parts.scheme}://{parts.netloc}"


@dataclass
class PageRecord:
    """One navigation of a journey and everything it left or sent."""

    url: str  # where the browser ended up
    via: str  # how it got there: "start", "link", "login form", "Refuse all"...
    status: int | None
    error: str = ""  # why the navigation failed (timeout, refused connection, a download...)
    title: str = ""
    banner: bool = False  # the consent banner was on the page
    observed_at: float = 0.0  # Unix time the cookie jar was read
    cookies: list[CookieRecord] = field(default_factory=list)  # the whole jar after the page
    cookies_set: list[str] = field(default_factory=list)  # names added or changed by this page
    storage: dict[str, list[str]] = field(default_factory=dict)  # kind -> keys
    requests: list[RequestRecord] = field(default_factory=list)
    console: list[dict[str, str]] = field(default_factory=list)  # {"type", "text"}
    screenshot: str | None = None  # file name, when screenshots were written to a folder
    png: bytes | None = field(default=None, repr=False)  # the screenshot, when asked for


@dataclass
class JourneyRecord:
    """A fresh browser context walking the site in one consent state."""

    name: str
    consent: str
    logged_in: bool = False
    pages: list[PageRecord] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # The page reached by "Refuse all" when the journey withdraws its consent: from that page
    # on, consent is refused, and nothing of a provider may remain or be contacted.
    withdrawn_at: int | None = None

    def consent_at(self, index: int) -> str:
        """The consent state in force on the page at ``index``."""
        if self.withdrawn_at is not None and index >= self.withdrawn_at:
            return REFUSED
        return self.consent


@dataclass
class AuditRecord:
    base_url: str
    started: str
    finished: str = ""
    browser: str = ""
    declaration: dict[str, Any] = field(default_factory=dict)  # /legal/cookies.json as served
    journeys: list[JourneyRecord] = field(default_factory=list)

    @property
    def origin(self) -> str:
        parts = urlsplit(self.base_url)
        return f"{parts.scheme}://{parts.netloc}"
