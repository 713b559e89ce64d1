"""Every password check is throttled the same way, and the e-mail change tells no one who has an
account (issue 13, items 4, 5 and 8).

Login and the four forms of the account page that ask for the password again count wrong
passwords against one counter per client address and one per account; the account is found from
any spelling of its address, as the login's lookup finds it. Run on SQLite and on Redis +
PostgreSQL; the last tests run real gunicorn workers.
"""

from __future__ import annotations

import datetime
import re
import subprocess
import uuid
from concurrent.futures import ThreadPoolExecutor

import argon2
import pytest
import redis
import time_machine
from argon2 import PasswordHasher

from prospectra import accounts
from prospectra.config import ConfigError
from prospectra.config import check_workers
from prospectra.config import load_settings
from prospectra.paths import PROJECT_ROOT
from tests import backends
from tests.browsers import NEW_PASSWORD
from tests.browsers import Browser
from tests.browsers import rows
from tests.faults import free_port
from tests.helpers import LEGAL_HOSTING
from tests.helpers import LEGAL_SERVICE
from tests.helpers import MAIL_KEY
from tests.helpers import PASSWORD
from tests.helpers import AuthActions
from tests.served import GUNICORN
from tests.served import Gunicorn
from tests.served import environment
from tests.wire import Visitor

pytestmark = pytest.mark.both_backends

WRONG = "not the password at all"
TOO_MANY = "There have been too many attempts from your connection or on this account."
NOT_RIGHT = "The password is not right."
# The forms of the account page that ask for the current password, with what else they carry.
ACCOUNT_FORMS = [
    ("/account/sessions/end", "end", {"which": "others"}),
    ("/account/email", "email", {"email": "ada@new.example"}),
    ("/account/password", "password", {"new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD}),
    ("/account/delete", "delete", {}),
]
FORM_IDS = [prefix for _path, prefix, _fields in ACCOUNT_FORMS]


def login_from(app, address: str, email: str = "ada@example.org", password: str = WRONG):
    """Log in through the form from another client address (a browser of its own)."""
    client = app.test_client()
    client.environ_base.update(HTTP_REFERER="https://localhost/", REMOTE_ADDR=address)
    return AuthActions(client).login(email=email, password=password)


def nothing_changed(app, laptop: Browser, phone: Browser) -> bool:
    """The account is as it was: both sessions live, same address, same password."""
    with app.app_context():
        user = accounts.find_user("ada@example.org")
        same = user is not None and accounts.check_password(user, PASSWORD)
    return same and laptop.logged_in() and phone.logged_in() and len(rows(app)) == 2


@pytest.mark.parametrize(("path", "prefix", "fields"), ACCOUNT_FORMS, ids=FORM_IDS)
def test_wrong_passwords_on_an_account_form_make_the_login_wait(
    app, two_browsers, path, prefix, fields
):
    laptop, phone = two_browsers
    for _ in range(5):
        response = laptop.post(path, prefix, password=WRONG, **fields)
        assert response.status_code == 200 and NOT_RIGHT in response.get_data(as_text=True)
    assert login_from(app, "198.51.100.7", password=PASSWORD).status_code == 429
    assert laptop.post(path, prefix, password=PASSWORD, **fields).status_code == 429
    assert nothing_changed(app, laptop, phone)


@pytest.mark.parametrize(("path", "prefix", "fields"), ACCOUNT_FORMS, ids=FORM_IDS)
def test_wrong_logins_make_every_account_form_wait_and_keep_what_was_typed(
    app, two_browsers, path, prefix, fields
):
    laptop, phone = two_browsers
    for n in range(5):
        assert login_from(app, f"198.51.100.{n}").status_code == 200
    response = laptop.post(path, prefix, password=PASSWORD, **fields)
    page = response.get_data(as_text=True)
    assert response.status_code == 429
    assert TOO_MANY in page and NOT_RIGHT not in page
    if prefix == "email":
        assert 'value="ada@new.example"' in page
    if prefix == "end":
        assert re.search(r'<input checked[^>]*value="others"', page)
    assert response.headers.getlist("Set-Cookie") == []
    assert nothing_changed(app, laptop, phone)


def test_the_login_page_past_the_limit_keeps_the_address_typed(app, make_user):
    make_user()
    for _ in range(5):
        login_from(app, "198.51.100.7")
    response = login_from(app, "198.51.100.8", password=PASSWORD)
    page = response.get_data(as_text=True)
    assert response.status_code == 429 and TOO_MANY in page
    assert 'value="ada@example.org"' in page and PASSWORD not in page


def test_one_client_address_is_limited_over_logins_and_account_forms(
    app_factory, settings, make_user_in
):
    app = app_factory(settings | {"limits": {"login_per_address": "4 per minute"}})
    make_user_in(app)
    laptop = Browser(app)  # 127.0.0.1, as every client below
    assert laptop.login().status_code == 303
    for n in range(3):  # three unknown accounts: the per-account counters stay low
        assert login_from(app, "127.0.0.1", email=f"u{n}@example.org").status_code == 200
    assert laptop.post("/account/delete", "delete", password=WRONG).status_code == 200
    assert laptop.post("/account/delete", "delete", password=PASSWORD).status_code == 429
    assert login_from(app, "127.0.0.1", password=PASSWORD).status_code == 429
    assert login_from(app, "198.51.100.7", password=PASSWORD).status_code == 303  # another address


def test_only_wrong_passwords_count(app, two_browsers):
    laptop, _phone = two_browsers
    for n in range(7):
        address = "ada@example.org" if n % 2 else "ada@new.example"
        response = laptop.post("/account/email", "email", email=address, password=PASSWORD)
        assert response.status_code == 303
    back = login_from(app, "198.51.100.7", email="ada@new.example", password=PASSWORD)
    assert back.status_code == 303


def test_past_the_limit_no_password_is_checked(app, make_user, monkeypatch):
    make_user()
    for _ in range(5):
        login_from(app, "198.51.100.7")
    calls: list[str] = []
    verify = PasswordHasher.verify
    monkeypatch.setattr(
        PasswordHasher, "verify", lambda self, h, p: calls.append(h) or verify(self, h, p)
    )
    assert login_from(app, "198.51.100.7").status_code == 429
    assert calls == []  # no argon2 work for a throttled attempt


# Each list: spellings the lookup maps to one address (Unicode width, case, IDNA, ideographic and
# fullwidth full stops, a decomposed accent, spaces). None of them is another one lower-cased.
ALICE = [
    "alice@ｅxample.org",
    "alice@ｅｘample.org",
    "alice@example。org",
    "ALICE@ＥＸＡＭＰＬＥ．ＯＲＧ",
    "alice@example．org",
    " Alice@Exａmple.Org ",
]
BOB = [
    "bob@bücher.example",
    "bob@xn--bcher-kva.example",
    "bob@bu\u0308cher.example",
    "bob@ｂücher.example",
    "bob@bücher。example",
    "BOB@BÜCHEＲ.EXAMPLE",
]


@pytest.mark.parametrize(
    ("spellings", "account"),
    [(ALICE, "alice@example.org"), (BOB, "bob@bücher.example"), (BOB, None)],
    ids=["known-ascii", "known-idna", "unknown-idna"],
)
def test_every_spelling_of_an_address_counts_against_one_account(
    app, make_user, spellings, account
):
    if account:
        make_user(account)
    with app.app_context():
        assert len({accounts.normalise_email(s) for s in spellings}) == 1
        assert len({s.strip().lower() for s in spellings}) == len(spellings)
    for n, spelling in enumerate(spellings[:5]):
        assert login_from(app, f"198.51.100.{n}", email=spelling).status_code == 200
    # The right password, from yet another address: the account waits all the same.
    response = login_from(app, "198.51.100.9", email=spellings[5], password=PASSWORD)
    assert response.status_code == 429


def test_unknown_addresses_are_checked_against_a_hash_as_costly_as_a_real_one(make_user):
    """The dummy hash takes as long as a real one: made with the real hasher's parameters."""
    user = make_user()
    dummy = argon2.extract_parameters(accounts._dummy_hash())
    assert dummy == argon2.extract_parameters(user.password_hash)
    assert not accounts._hasher.check_needs_rehash(accounts._dummy_hash())
    assert dummy.memory_cost == argon2.DEFAULT_MEMORY_COST
    assert dummy.time_cost == argon2.DEFAULT_TIME_COST


NOTICE = re.compile(r'<p class="notice" role="status">(.*?)</p>', re.S)
CSRF_VALUE = re.compile(r'(name="(?:\w+-)?csrf_token"[^>]*value=")[^"]+')  # time-stamped


def email_change(laptop: Browser, typed: str) -> tuple[int, str, str]:
    """Ask for a new address; return the status, the Location and the notice shown after."""
    response = laptop.post("/account/email", "email", email=typed, password=PASSWORD)
    page = laptop.get(response.headers["Location"]).get_data(as_text=True)
    notices = NOTICE.findall(page)
    assert len(notices) == 1
    return response.status_code, response.headers["Location"], notices[0]


def test_the_email_change_answers_the_same_for_a_taken_a_free_and_ones_own_address(
    app, two_browsers, make_user
):
    laptop, _phone = two_browsers
    make_user("bob@example.org")
    answers = {
        "taken": email_change(laptop, "bob@ｅxample.org"),
        "own": email_change(laptop, "Ada@Example.org"),
        "free": email_change(laptop, "ada@new.example"),
    }
    typed = {"taken": "bob@example.org", "own": "ada@example.org", "free": "ada@new.example"}
    shapes = {
        (status, where, text.replace(typed[case], "X"))
        for case, (status, where, text) in answers.items()
    }
    assert shapes == {
        (
            303,
            "/account",
            "Unless another account uses it already, X is now the "
            "address of your account (shown above).",
        )
    }
    with app.app_context():
        assert accounts.find_user("bob@example.org").email == "bob@example.org"
        assert accounts.find_user("ada@new.example") is not None  # the free one was given
        assert accounts.find_user("ada@example.org") is None


def test_a_wrong_password_with_a_taken_address_says_only_that_the_password_is_wrong(
    two_browsers, make_user
):
    laptop, _phone = two_browsers
    make_user("bob@example.org")
    pages = []
    with time_machine.travel(datetime.datetime.now(datetime.UTC), tick=False):  # same times shown
        for typed in ("bob@example.org", "eve@example.org"):
            response = laptop.post("/account/email", "email", email=typed, password=WRONG)
            pages.append(
                CSRF_VALUE.sub(r"\1T", response.get_data(as_text=True).replace(typed, "X"))
            )
    assert NOT_RIGHT in pages[0] and pages[0] == pages[1]


# --- Several workers: the counters must be shared -------------------------------------------


@pytest.mark.parametrize(
    ("environment_", "storage", "workers", "refused"),
    [
        ("production", "memory://", 2, True),
        ("production", "MEMORY://", 4, True),
        ("production", "memory://", 1, False),
        ("production", "redis://127.0.0.1:6379/1", 4, False),
        ("development", "memory://", 4, False),
    ],
)
def test_production_refuses_counters_kept_apart_by_several_workers(
    environment_, storage, workers, refused
):
    settings = load_settings()
    settings["app"]["environment"] = environment_
    settings["limits"]["storage_uri"] = storage
    if not refused:
        check_workers(settings, workers)
        return
    with pytest.raises(ConfigError, match=r"^limits\.storage_uri: memory:// counts apart"):
        check_workers(settings, workers)


def production(tmp_path, **tables) -> dict:
    return {
        "app": {"environment": "production", "secret_key": "t" * 48,
                "instance_path": str(tmp_path / "instance")},
        "service": {"domain": "app.prospectra.example", **LEGAL_SERVICE}, "hosting": LEGAL_HOSTING,
        "mail": {"encryption_key": MAIL_KEY},
        "proxy": {"x_for": 1, "x_proto": 1, "x_host": 1},
    } | tables  # fmt: skip


def test_gunicorn_with_two_workers_and_memory_counters_does_not_start(tmp_path):
    env = environment(production(tmp_path)) | {
        "GUNICORN_BIND": f"127.0.0.1:{free_port()}",
        "GUNICORN_WORKERS": "2",
    }
    result = subprocess.run(
        [str(GUNICORN), "-c", "python:prospectra.gunicorn_conf", "prospectra.wsgi:app"],
        cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    said = [line for line in result.stderr.splitlines() if "[INFO] Starting gunicorn" not in line]
    assert result.returncode != 0
    assert said == [
        "prospectra: configuration error: limits.storage_uri: memory:// counts apart in each of "
        "the 2 workers; set a storage they share, such as redis://127.0.0.1:6379/1, or run one "
        "worker"
    ]
    assert "Booting worker" not in result.stdout + result.stderr


def test_two_gunicorn_workers_share_the_counters_through_redis(tmp_path):
    backends.require_services()
    run = uuid.uuid4().hex  # this run's keys only: the Redis database is shared
    limits = {"storage_uri": backends.REDIS_URL, "login_per_account": "20 per minute"}
    server = Gunicorn(production(tmp_path, limits=limits), tmp_path / "access.log", workers=2)
    address = f"2001:db8::{run[:4]}:{run[4:8]}"
    email = f"nobody-{run}@example.org"
    try:
        server.start()

        def attempt(_n: int) -> int:
            return Visitor(server.port, address=address).login(email, WRONG).status

        with ThreadPoolExecutor(4) as pool:
            statuses = list(pool.map(attempt, range(20)))
        last = attempt(20)
    finally:
        server.stop()
        client = redis.Redis.from_url(backends.REDIS_URL)
        for pattern in (f"*{email}*", f"*{address}*"):
            for key in client.scan_iter(pattern):
                client.delete(key)
        client.close()
    assert statuses == [200] * 20 and last == 429
    posts = [line.split(" ")[0] for line in server.log.read_text().splitlines() if " POST " in line]
    assert len(set(posts)) == 2, "both workers checked passwords"
