"""The app's Jinja environment reads template globals as Jinja's own does, only without raising."""

from __future__ import annotations

from prospectra import templating


def test_the_app_renders_with_the_project_environment(app):
    assert isinstance(app.jinja_env, templating.Environment)


def test_template_globals_overlay_the_environment_s_and_follow_its_changes(app):
    env = app.jinja_env
    env.globals["shade"] = "environment"
    own = env.from_string("{{ shade }}|{{ later }}|{{ missing }}", globals={"shade": "template"})
    env.globals["later"] = "added after loading"
    try:
        assert own.render() == "template|added after loading|"
        assert env.from_string("{{ shade }}").render() == "environment"
    finally:
        del env.globals["shade"], env.globals["later"]


def test_a_page_renders_every_global_it_uses(client):
    response = client.get("/legal/cookies")
    assert response.status_code == 200
    assert b"Cookie policy" in response.data  # the footer's gettext and url_for, from the globals
