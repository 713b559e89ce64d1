"""What a real browser stores and fetches: exactly the declared cookies, no storage, one origin."""

from __future__ import annotations

from urllib.parse import urlsplit

from tests.helpers import PASSWORD
from tests.helpers import public_pages

DECLARED = {"__Host-session", "__Host-csrf"}


def browser_cookies(context) -> dict[str, dict]:
    return {c["name"]: c for c in context.cookies()}


def storage(page) -> dict:
    return page.evaluate(
        """async () => ({
            local: localStorage.length,
            session: sessionStorage.length,
            indexedDB: (await indexedDB.databases()).map(d => d.name),
        })"""
    )


def assert_declared(cookie: dict, origin_host: str) -> None:
    assert cookie["domain"] == origin_host  # host-only: no Domain attribute
    assert cookie["path"] == "/"
    assert cookie["secure"] is True
    assert cookie["httpOnly"] is True
    assert cookie["sameSite"] == "Lax"
    assert cookie["expires"] == -1  # a browser-session cookie


def test_browser_keeps_only_declared_cookies_no_storage_and_fetches_only_the_app(
    live_server, context
):
    origin = urlsplit(live_server)
    requests: list[str] = []
    console_errors: list[str] = []
    context.on("request", lambda request: requests.append(request.url))
    page = context.new_page()
    page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)

    for path in public_pages():
        assert page.goto(live_server + path).status == 200
        assert context.cookies() == [], f"{path} left a cookie"
        assert storage(page) == {"local": 0, "session": 0, "indexedDB": []}

    page.goto(live_server + "/login")
    assert set(browser_cookies(context)) == {"__Host-csrf"}

    page.get_by_label("E-mail address").fill("ada@example.org")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(live_server + "/dashboard")
    cookies = browser_cookies(context)
    assert set(cookies) == DECLARED
    for cookie in cookies.values():
        assert_declared(cookie, origin.hostname)

    page.goto(live_server + "/account")
    assert "ada@example.org" in page.content()
    assert storage(page) == {"local": 0, "session": 0, "indexedDB": []}

    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(live_server + "/logged-out")
    assert (
        context.cookies() == []
    )  # both deleted: the deletions carried Secure and the prefix rules
    page.goto(live_server + "/dashboard")
    assert page.url.startswith(live_server + "/login")

    assert requests, "no request recorded"
    assert {urlsplit(url).netloc for url in requests} == {origin.netloc}
    assert console_errors == []  # no CSP violation, no failed resource


def test_password_toggle_script_runs_under_the_csp(live_server, context):
    page = context.new_page()
    page.goto(live_server + "/login")
    password = page.get_by_label("Password", exact=True)
    assert password.get_attribute("type") == "password"
    toggle = page.get_by_role("button", name="Show password")
    toggle.click()
    assert password.get_attribute("type") == "text"
    assert toggle.get_attribute("aria-pressed") == "true"
    toggle.click()
    assert password.get_attribute("type") == "password"
