"""An anonymous visitor who chose under an earlier policy is asked again and told what changed.

The choice is made under one configuration; the app is then restarted with another one on the same
instance folder, database and secret key (a deployment), and the same browser comes back.
"""

from __future__ import annotations

import html as html_module
import re

from prospectra import create_app
from prospectra import state
from tests.helpers import BufferedClient
from tests.helpers import csrf_token
from tests.measurement import CONFIGS
from tests.measurement import SCRIPT
from tests.test_policy_versions import MONTHS_FR

BANNER = re.compile(r'<section class="consent-banner".*?</section>', re.S)
# Config B: the script's cookie now lives 200 days instead of 395.
CHANGED = {
    "analytics": {
        "providers": ["script"],
        "script": dict(SCRIPT, cookies=[dict(SCRIPT["cookies"][0], retention_days=200)]),
    }
}


def start(instance, setup: dict):
    app = create_app({"app": {"instance_path": str(instance)}, **setup}, testing=True)
    app.test_client_class = BufferedClient
    return app


def banner_text(client, path: str = "/") -> str | None:
    found = BANNER.search(client.get(path).get_data(as_text=True))
    return (
        re.sub(
            r"[ \t\r\n]+", " ", html_module.unescape(re.sub(r"<[^>]+>", " ", found.group(0)))
        ).strip()
        if found
        else None
    )


def chose_then_redeployed(tmp_path):
    """A browser that refused under config A, then the app restarted with config B."""
    before = start(tmp_path, CONFIGS["script"])
    client = before.test_client()
    client.environ_base["HTTP_REFERER"] = "https://localhost/"
    token = csrf_token(client.get("/"))
    client.post("/consent", data={"csrf_token": token, "action": "refuse_all", "next": "/"})
    assert banner_text(client) is None  # the choice holds under A
    after = start(tmp_path, CHANGED)
    assert after.secret_key == before.secret_key
    client.application = after
    old = state.of(before).policy_version
    new = state.of(after).policy_version
    assert old != new
    entry = next(e for e in state.of(after).policy_history if e["version"] == new)
    return client, old, new, entry


def test_banner_names_the_change_its_date_and_both_versions(tmp_path):
    client, old, new, entry = chose_then_redeployed(tmp_path)
    text = banner_text(client)
    assert text is not None, "the visitor is asked again"
    since = entry["in_force_since"]
    assert f"The cookie policy changed on {since.day} {since:%B %Y} (version {new}):" in text
    assert entry["changes"] in text  # the history's one-line summary
    assert "Lifetime of cookie _ex changed from 13 months to 200 days." in text
    assert f"Your earlier answer, given under version {old}, no longer applies." in text
    assert "Accept all" in text and "Refuse all" in text


def test_the_change_is_told_in_french(tmp_path):
    client, old, new, entry = chose_then_redeployed(tmp_path)
    text = banner_text(client, "/?lang=fr")
    since = entry["in_force_since"]
    day = "1er" if since.day == 1 else since.day
    month = MONTHS_FR.split()[since.month - 1]
    assert (
        f"La politique de cookies a changé le {day} {month} {since.year} (version {new})\u00a0:"
        in text
    )
    assert "Durée de vie du cookie _ex portée de 13 mois à 200 jours." in text
    assert f"sous la version {old}, ne s'applique plus" in text


def test_a_first_visit_is_not_told_of_a_change(tmp_path):
    start(tmp_path, CONFIGS["script"])
    app = start(tmp_path, CHANGED)
    text = banner_text(app.test_client())
    assert text is not None and "changed on" not in text and "no longer applies" not in text


def test_a_choice_under_the_version_in_force_is_not_asked_again(tmp_path):
    client, *_ = chose_then_redeployed(tmp_path)
    token = csrf_token(client.get("/consent"))
    client.post("/consent", data={"csrf_token": token, "action": "accept_all", "next": "/"})
    assert banner_text(client) is None
