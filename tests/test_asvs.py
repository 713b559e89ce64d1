"""OWASP ASVS 4.0.3 checks not covered by a more specific test file (see the closing notes' map)."""

from __future__ import annotations

from sqlalchemy import select

from prospectra.extensions import db
from prospectra.models import User


def test_session_id_never_appears_in_a_url_or_a_page(client, make_user, auth):  # ASVS 3.1.1
    make_user()
    login = auth.login(next="/account")
    sid = client.get_cookie("__Host-session").value
    assert sid not in login.headers["Location"]
    for path in ("/dashboard", "/account", "/", "/legal/cookies"):
        response = client.get(path)
        assert sid not in response.get_data(as_text=True)
        assert sid not in response.headers.get("Location", "")


def test_passwords_are_stored_as_argon2id_hashes(app, make_user):  # ASVS 2.4.1
    make_user(password="correct horse battery staple")
    with app.app_context():
        stored = db.session.scalar(select(User.password_hash))
    assert stored.startswith("$argon2id$")
    assert "correct horse" not in stored


def test_no_cross_origin_resource_sharing_is_granted(client):  # ASVS 14.5.3
    for method in ("OPTIONS", "GET"):
        response = client.open(
            "/legal/cookies.json",
            method=method,
            headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
        )
        assert not [h for h in response.headers.keys() if h.lower().startswith("access-control-")]
