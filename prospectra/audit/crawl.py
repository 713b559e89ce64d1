"""Walk a deployment in fresh browser contexts and record what each page stores and fetches.

Journeys: a first visit that discovers the public pages by following same-origin links; when the
consent banner shows, the same pages after "Refuse all" and after "Accept all", each in a fresh
context; with a provider that declares cookies, "accept, then withdraw": accept, the pages (and one
under each path a provider cookie is scoped to), "Refuse all" from the footer's Cookie settings,
the same pages again; with a user, a login through the real form, the internal pages, then the
logout. No form is ever submitted but the login form, the consent forms and the final logout.
"""

from __future__ import annotations

import functools
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl
from urllib.parse import urldefrag
from urllib.parse import urljoin
from urllib.parse import urlsplit
from urllib.parse import urlunsplit

from . import records
from .records import AuditRecord
from .records import CookieRecord
from .records import JourneyRecord
from .records import PageRecord
from .records import RequestRecord

LOGOUT = re.compile(r"(log|sign)[-_]?(out|off)", re.IGNORECASE)
BANNER_ANSWERS = {records.REFUSED: "refuse_all", records.ACCEPTED: "accept_all"}
BANNER_LABELS = {records.REFUSED: "Refuse all", records.ACCEPTED: "Accept all"}
BANNER = ".consent-banner"  # Prospectra's banner (templates/consent/_banner.html)
SETTINGS = "Cookie settings"  # the footer's link to the page that changes or withdraws a choice
SETTINGS_LINK = "footer a[href*='/consent']"
SETTINGS_FORM = "main form"  # the settings page's own form, not the banner's
# The settings page without Accept/Refuse all (only exempt tools): every box ticked or not, saved.
SAVE_LABELS = {
    records.REFUSED: "Save my choices (all unticked)",
    records.ACCEPTED: "Save my choices (all ticked)",
}
# Where a journey starts or changes state: what the HTML report shows of each journey.
KEY_STEPS = {"start", "login form", "logout", SETTINGS, *BANNER_LABELS.values(),
             *SAVE_LABELS.values()}  # fmt: skip
NAVIGATION_TIMEOUT_MS = 30_000
PAGE_SCRIPT = Path(__file__).with_name("page.js")

Progress = Callable[[str, int, int], None]  # journey name, pages done, pages found


class AuditFailed(RuntimeError):
    """The audit could not run (site unreachable, login refused...); the message says why."""


@dataclass
class Options:
    base_url: str
    user: str | None = None
    password: str | None = None
    max_pages: int = 50
    settle_seconds: float = 0.5
    screenshots: str | None = None  # "all" pages, or the "key" steps only (start, banner, login)
    login_path: str = "/login"


def page_key(url: str) -> tuple[str, frozenset[str]]:
    """Pages whose URLs differ only in parameter values are one page to the crawl.

    ``/consent?next=/a`` and ``/consent?next=/b`` show the same thing; ``/?lang=fr`` differs from
    ``/`` by a parameter's presence and is crawled. Without this every "next=" link of every
    page would be a page of its own.
    """
    parts = urlsplit(url)
    return parts.path, frozenset(k for k, _ in parse_qsl(parts.query, keep_blank_values=True))


class _Tab:
    """One fresh browser context and its page, recording into the current PageRecord."""

    def __init__(self, browser: Any, journey: JourneyRecord, options: Options) -> None:
        self.options = options
        self.journey = journey
        self.context = browser.new_context()
        self.context.set_default_navigation_timeout(NAVIGATION_TIMEOUT_MS)
        self.page = self.context.new_page()
        self.current: PageRecord | None = None
        self.hrefs: list[str] = []
        self.in_flight: set[Any] = set()
        self.last_activity = time.monotonic()
        self.jar: dict[tuple[str, str, str], tuple[str, float]] = {}
        self.context.on("request", self._on_request)
        self.context.on("requestfinished", self._on_request_done)
        self.context.on("requestfailed", self._on_request_done)
        self.page.on("console", self._on_console)

    def close(self) -> None:
        self.context.close()

    def _on_request(self, request: Any) -> None:
        self.in_flight.add(request)
        self.last_activity = time.monotonic()
        if self.current is not None and request.url.startswith(("http:", "https:", "ws")):
            self.current.requests.append(
                RequestRecord(request.url, request.method, request.resource_type)
            )

    def _on_request_done(self, request: Any) -> None:
        self.in_flight.discard(request)
        self.last_activity = time.monotonic()

    def _on_console(self, message: Any) -> None:
        if self.current is not None:
            self.current.console.append({"type": message.type, "text": message.text})

    def visit(self, via: str, navigate: Callable[[], Any], url: str = "") -> PageRecord:
        """Run ``navigate`` (a goto or a click), let the page settle, then read the browser."""
        record = PageRecord(url="", via=via, status=None)
        self.current = record
        self.journey.pages.append(record)
        from playwright.sync_api import Error  # the optional extra, present once a browser runs

        try:
            response = navigate()
        except Error as e:  # one broken page does not end the audit: it is reported
            response, record.error = None, str(e).strip().splitlines()[0]
        self._settle()
        record.url = url if record.error and url else self.page.url
        record.status = response.status if response is not None else None
        self._read_cookies(record)
        self.current = None
        if record.error:
            self.hrefs = []
            return record
        # One round trip to the page for its storage, title and links.
        seen = self.page.evaluate(_page_script(), BANNER)
        record.storage, record.title, self.hrefs = seen["storage"], seen["title"], seen["links"]
        record.banner = seen["banner"]
        if self.options.screenshots == "all" or (
            self.options.screenshots == "key" and via in KEY_STEPS
        ):
            record.png = self.page.screenshot(type="png")
        return record

    def goto(self, url: str, via: str) -> PageRecord:
        return self.visit(via, lambda: self.page.goto(url, wait_until="load"), url)

    def click(self, locator: Any, via: str) -> PageRecord:
        def navigate() -> Any:
            with self.page.expect_navigation(wait_until="load") as navigation:
                locator.click()
            return navigation.value

        return self.visit(via, navigate)

    def _settle(self) -> None:
        """Wait until no request has been in flight for ``settle_seconds`` (10 s at most):
        tags load after the load event and call home from timers."""
        deadline = time.monotonic() + 10
        quiet = self.options.settle_seconds
        while time.monotonic() < deadline:
            if not self.in_flight and time.monotonic() - self.last_activity >= quiet:
                return
            self.page.wait_for_timeout(50)

    def _read_cookies(self, record: PageRecord) -> None:
        record.observed_at = time.time()
        jar = self.context.cookies()
        record.cookies = [CookieRecord.from_playwright(c) for c in jar]
        now = {(c["name"], c["domain"], c["path"]): (c["value"], c["expires"]) for c in jar}
        record.cookies_set = sorted({key[0] for key, v in now.items() if self.jar.get(key) != v})
        self.jar = now

    def links(self) -> list[str]:
        """Same-origin links of the current page, absolute, without fragments or logout."""
        origin = _origin(self.options.base_url)
        found = []
        for href in self.hrefs:
            url = urldefrag(href).url
            if _origin(url) == origin and not LOGOUT.search(urlsplit(url).path):
                found.append(url)
        return found


@functools.cache
def _page_script() -> str:
    return PAGE_SCRIPT.read_text(encoding="utf-8")


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _crawl(
    tab: _Tab, start: str, options: Options, progress: Progress, skip: set | None = None
) -> list[str]:
    """Breadth-first over same-origin links from ``start``; returns the URLs visited.

    When the tab is already on ``start`` (after the login form), that page is not loaded again.
    """
    queue = [start]
    seen = {page_key(start)} | (skip or set())
    visited: list[str] = []
    while queue and len(visited) < options.max_pages:
        url = queue.pop(0)
        if visited or tab.page.url != url:
            record = tab.goto(url, "start" if not visited else "link")
        else:
            record = tab.journey.pages[-1]
        visited.append(url)
        seen.add(page_key(record.url))
        if record.status is not None and record.status < 400:
            for link in tab.links():
                if page_key(link) not in seen:
                    seen.add(page_key(link))
                    queue.append(link)
        progress(tab.journey.name, len(visited), len(visited) + len(queue))
    return visited


def _revisit(tab: _Tab, urls: list[str], progress: Progress) -> None:
    for done, url in enumerate(urls, 1):
        tab.goto(url, "link")
        progress(tab.journey.name, done, len(urls))


def _banner_button(page: Any, consent: str) -> Any:
    """The banner's answer button; Prospectra's own markup first, its visible label otherwise."""
    button = page.locator(f"{BANNER} button[name=action][value={BANNER_ANSWERS[consent]}]")
    if button.count():
        return button.first
    button = page.get_by_role("button", name=BANNER_LABELS[consent], exact=True)
    return button.first if button.count() else None


def _settings_button(page: Any, consent: str) -> Any:
    """The Cookie settings form's answer button; its markup first, its visible label otherwise."""
    value = BANNER_ANSWERS[consent]
    button = page.locator(f"{SETTINGS_FORM} button[name=action][value={value}]")
    if button.count():
        return button.first
    button = page.locator(SETTINGS_FORM).get_by_role("button", name=BANNER_LABELS[consent])
    return button.first if button.count() else None


def _settings_link(page: Any) -> Any:
    link = page.locator(SETTINGS_LINK)
    return link if link.count() else page.get_by_role("link", name=SETTINGS, exact=True)


def _open_settings(tab: _Tab, home: str) -> bool:
    """Follow the footer's Cookie settings link, as a visitor changing their mind does (from
    ``home`` when the current page has none, e.g. a JSON document)."""
    link = _settings_link(tab.page)
    if not link.count():
        tab.goto(home, "link")
        link = _settings_link(tab.page)
    if not link.count():
        tab.journey.notes.append(f"no '{SETTINGS}' link on {tab.page.url}")
        return False
    tab.click(link.first, SETTINGS)
    return True


def _answer_in_settings(tab: _Tab, consent: str, home: str) -> bool:
    """Answer with the settings page's Accept all / Refuse all; where it has none (only exempt
    tools: nothing to consent to), tick or untick every tool's box and save."""
    if not _open_settings(tab, home):
        return False
    button = _settings_button(tab.page, consent)
    if button is not None:
        tab.click(button, BANNER_LABELS[consent])
        return True
    save = tab.page.locator(f"{SETTINGS_FORM} button[name=action][value=customise]")
    if not save.count():
        tab.journey.notes.append(f"no '{BANNER_LABELS[consent]}' button on {tab.page.url}")
        return False
    boxes = tab.page.locator(f"{SETTINGS_FORM} input[type=checkbox]")
    for i in range(boxes.count()):
        boxes.nth(i).set_checked(consent == records.ACCEPTED)
    tab.click(save.first, SAVE_LABELS[consent])
    return True


def cookie_paths(declaration: dict) -> list[str]:
    """The paths other than / that a provider's cookies are declared under: a browser sends such
    a cookie only to pages under its path, so only there can the site see and delete it."""
    return sorted({
        c["attributes"].get("path") or "/"
        for c in declaration.get("cookies", [])
        if c.get("provider")
    } - {"/"})  # fmt: skip


def _under(url: str, path: str) -> bool:
    """Does a browser send a cookie of ``path`` to ``url`` (RFC 6265 path-match)?"""
    request_path = urlsplit(url).path or "/"
    return request_path == path or request_path.startswith(path.rstrip("/") + "/")


def _withdrawal_pages(public: list[str], declaration: dict, options: Options) -> list[str]:
    """The public pages, and one page under each path a provider cookie is declared under."""
    pages = public[: options.max_pages]
    for path in cookie_paths(declaration):
        if not any(_under(url, path) for url in pages):
            under = [url for url in public if _under(url, path)]
            pages.append(under[0] if under else urljoin(options.base_url, path))
    return pages


def _accept_then_withdraw(browser, options, public: list[str], declaration: dict,
                          progress) -> JourneyRecord:  # fmt: skip
    """Accept all, browse, "Refuse all" from the footer's Cookie settings, browse again.

    The findings (:mod:`.findings`) then require that no provider cookie survives in the jar at
    the end and that no provider origin is contacted from the refusal on.
    """
    journey = JourneyRecord(name=records.WITHDRAW_JOURNEY, consent=records.ACCEPTED)
    tab = _Tab(browser, journey, options)
    pages = _withdrawal_pages(public, declaration, options)
    try:
        tab.goto(public[0], "start")
        button = _banner_button(tab.page, records.ACCEPTED)
        if button is not None:
            tab.click(button, BANNER_LABELS[records.ACCEPTED])
        elif not _answer_in_settings(tab, records.ACCEPTED, public[0]):
            return journey
        _revisit(tab, pages, progress)
        if not _answer_in_settings(tab, records.REFUSED, public[0]):
            return journey
        journey.withdrawn_at = len(journey.pages) - 1
        _revisit(tab, pages, progress)
    finally:
        tab.close()
    return journey


def _answered(browser, options, public: list[str], consent: str, progress) -> JourneyRecord:
    journey = JourneyRecord(name=BANNER_LABELS[consent].lower(), consent=consent)
    tab = _Tab(browser, journey, options)
    try:
        tab.goto(public[0], "start")
        button = _banner_button(tab.page, consent)
        if button is None:
            journey.notes.append(f"no '{BANNER_LABELS[consent]}' button on {public[0]}")
            return journey
        tab.click(button, BANNER_LABELS[consent])
        _revisit(tab, public[: options.max_pages], progress)
    finally:
        tab.close()
    return journey


def _logged_in(browser, options, public: list[str], progress) -> JourneyRecord:
    journey = JourneyRecord(name="logged in", consent=records.NOT_ASKED, logged_in=True)
    tab = _Tab(browser, journey, options)
    try:
        login_url = urljoin(options.base_url, options.login_path)
        tab.goto(login_url, "start")
        form = tab.page.locator("form:has(input[type=password])").first
        if not form.count():
            raise AuditFailed(f"no login form (a form with a password field) at {login_url}")
        form.locator("input[type=email], input[name=email], input[name=username]").first.fill(
            options.user
        )
        form.locator("input[type=password]").first.fill(options.password)
        after = tab.click(form.locator("[type=submit]").first, "login form")
        if tab.page.locator("input[type=password]").count() and after.url.startswith(login_url):
            raise AuditFailed(f"login refused for {options.user} at {login_url}")
        # Public pages were audited already; here only what a logged-in user alone can reach.
        skip = {page_key(u) for u in public}
        _crawl(tab, after.url, options, progress, skip=skip)
        logout = tab.page.locator("form[action*=logout] [type=submit]")
        if logout.count():
            tab.click(logout.first, "logout")
        else:
            journey.notes.append("no logout form found on the last page: not logged out")
    finally:
        tab.close()
    return journey


def audit(browser: Any, options: Options, declaration: dict, progress: Progress) -> AuditRecord:
    """Run every journey and return what was seen (findings are computed from it)."""
    result = AuditRecord(
        base_url=options.base_url,
        started=_now(),
        browser=f"Chromium {browser.version}",
        declaration=declaration,
    )
    first = JourneyRecord(name="first visit", consent=records.NOT_ASKED)
    result.journeys.append(first)
    tab = _Tab(browser, first, options)
    try:
        public = _crawl(tab, options.base_url, options, progress)
    finally:
        tab.close()
    home = first.pages[0]
    if home.error or (home.status or 0) >= 400:
        raise AuditFailed(f"{options.base_url}: {home.error or f'answered {home.status}'}")
    if declaration.get("consent_banner") and not home.banner:
        first.notes.append("the declaration says the consent banner is on, none was found")
    if home.banner:
        for consent in (records.REFUSED, records.ACCEPTED):
            result.journeys.append(_answered(browser, options, public, consent, progress))
    if any(c.get("provider") for c in declaration.get("cookies", [])):
        result.journeys.append(
            _accept_then_withdraw(browser, options, public, declaration, progress)
        )
    if options.user:
        result.journeys.append(_logged_in(browser, options, public, progress))
    result.finished = _now()
    return result


def fetch_declaration(playwright: Any, base_url: str) -> dict:
    """The deployment's /legal/cookies.json, fetched without a browser context (no cookie)."""
    url = urljoin(base_url, "/legal/cookies.json")
    api = playwright.request.new_context()
    try:
        target, headers = _loopback(url)
        response = api.get(target, headers=headers, timeout=NAVIGATION_TIMEOUT_MS, max_redirects=5)
        if not response.ok:
            raise AuditFailed(f"{url} answered {response.status}: not a Prospectra deployment?")
        return response.json()
    except ValueError:
        raise AuditFailed(f"{url} is not JSON: not a Prospectra deployment?") from None
    finally:
        api.dispose()


def _loopback(url: str) -> tuple[str, dict[str, str]]:
    """The URL and headers to fetch ``url`` with outside the browser.

    A name under .localhost is the loopback address by definition (RFC 6761) and Chromium
    resolves it so, while the system resolver Playwright's requests use may not: such a URL is
    fetched from 127.0.0.1, its name sent in Host.
    """
    parts = urlsplit(url)
    if not (parts.hostname or "").endswith(".localhost"):
        return url, {}
    netloc = "127.0.0.1" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc)), {"Host": parts.netloc}


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
