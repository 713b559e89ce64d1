"""Every route is in one category, so that adding a route forces a decision about it.

The lists the other tests read (tests/helpers.py: ``public_pages()``, ``pages(...)``) come from
these categories: a new public page is in them as soon as its view is marked public, and a route
nobody has placed fails here until it is. Each category is then checked against what the route
does for an anonymous visitor, so a route cannot be placed in the wrong one.
"""

from __future__ import annotations

import pytest

from prospectra.public import public_paths
from tests import helpers
from tests.helpers import routes_of


def test_every_route_is_in_a_category(app):
    undecided = [f"{r.rule} ({r.endpoint})" for r in routes_of(app) if r.category is None]
    assert not undecided, (
        "routes in no category: mark a public page's view @public_page, or name the endpoint "
        f"in tests/helpers.py ROUTE_CATEGORIES: {', '.join(undecided)}"
    )


def test_the_categories_name_only_routes_that_exist(app):
    endpoints = {route.endpoint for route in routes_of(app)}
    assert set(helpers.ROUTE_CATEGORIES) <= endpoints


def test_a_public_page_is_not_also_named_in_another_category(app):
    for route in routes_of(app):
        assert not (route.public and route.endpoint in helpers.ROUTE_CATEGORIES), route.rule


def test_the_lists_the_tests_read_are_the_apps_public_pages(app):
    # The routes are read once per test process, from an app built with the defaults; the app
    # built for this test (any settings) has the same.
    assert helpers.routes() == routes_of(app)
    assert list(helpers.public_pages()) == public_paths(app)
    assert helpers.public_pages() and "/login" not in helpers.public_pages()


def test_a_route_nobody_has_placed_is_in_no_category(app):
    app.add_url_rule("/press", "press", lambda: "press kit")
    (press,) = [route for route in routes_of(app) if route.rule == "/press"]
    assert press.category is None


EXPECTED = {
    # category: what an anonymous GET of the route gets (status, start of the content type)
    helpers.PUBLIC: (200, "text/html"),
    helpers.FORM: (200, "text/html"),
    helpers.VISITOR: (200, "text/html"),
    helpers.JSON: (200, "application/json"),
    helpers.HEALTH: (200, "application/json"),
}


@pytest.mark.parametrize("route", helpers.routes(), ids=lambda r: f"{r.rule} {r.endpoint}")
def test_each_route_behaves_as_its_category_says(client, route):
    assert route.category, f"{route.rule} is in no category"
    if route.category == helpers.ACTION:  # a state-changing form's target: refused without a token
        response = client.post(route.path)
        assert response.status_code == 400, route.rule
        assert "Cookies are needed to log in" in response.get_data(as_text=True), route.rule
        return
    response = client.get(route.path)
    if route.category == helpers.LOGGED_IN:
        assert response.status_code in (302, 303), route.rule
        assert response.headers["Location"].startswith("/login"), route.rule
    elif route.category == helpers.ASSET:
        assert response.status_code == 200, route.rule
        assert not response.mimetype.startswith("text/html"), route.rule
    else:
        status, mimetype = EXPECTED[route.category]
        assert response.status_code == status, route.rule
        assert response.mimetype.startswith(mimetype), (route.rule, response.mimetype)
    if route.category in (helpers.PUBLIC, helpers.VISITOR, helpers.JSON, helpers.ASSET):
        assert response.headers.getlist("Set-Cookie") == [], route.rule
