"""Withdrawal: a provider the visitor does not allow leaves no cookie behind, in any scope.

A browser keeps one cookie per name, domain and path, and never says which scope a cookie it
sends was set in; a cookie of another path is not even sent. So each deletion is made in every
scope the provider declares (host-only, and its declared domain if any; its declared path; Secure
and SameSite as declared). At the choice itself (:func:`withdraw`), every exact name is deleted
whether or not the browser sent it, and every name it sent that matches a declared pattern
(``_ga_*``). Afterwards, any response to a request that still carries such a cookie deletes it
(:func:`init_app`'s sweep): a cookie scoped to ``/legal`` reaches the server only on a /legal/ page.
"""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Mapping

from flask import Flask
from flask import g
from flask import request
from flask.wrappers import Response
from werkzeug.http import dump_cookie

from .. import state as app_state
from ..providers import Provider
from ..providers import ProviderCookie
from . import decision

_DECIDED = "_withdrawal_decided"  # on g: this response applies a choice made just now


def init_app(app: Flask) -> None:
    """With a provider configured, sweep its cookies from visitors who do not allow it."""
    if app_state.of(app).providers:
        app.after_request(_sweep)


def withdraw(response: Response, state: decision.ConsentState, choices: Mapping[str, bool]) -> None:
    """Delete, on ``response``, the cookies of each provider ``choices`` does not allow.

    A provider missing from ``choices`` counts as not allowed: no positive act, no cookie. The
    sweep leaves this response alone: it applies the choice just made, not the one it replaces.
    """
    g.setdefault(_DECIDED, True)
    for provider in state.providers:
        if not choices.get(provider.key, False):
            _expire(response, provider, request.cookies, exact_names=True)


def deletions(cookie: ProviderCookie, name: str) -> list[str]:
    """The Set-Cookie headers deleting ``name`` in every scope ``cookie`` declares."""
    domains = (None, cookie.domain) if cookie.domain else (None,)
    return [
        dump_cookie(
            name,
            "",
            max_age=0,
            expires=0,
            path=cookie.path,
            domain=domain,
            secure=cookie.secure,
            httponly=False,  # provider cookies are set by their scripts
            samesite=cookie.same_site,
        )
        for domain in domains
    ]


def _sweep(response: Response) -> Response:
    sent = request.cookies
    if g.get(_DECIDED):
        return response
    providers = app_state.current().providers
    owned = [p for p in providers if any(p.owns(name) for name in sent)] if sent else []
    if owned:  # most requests: no provider cookie sent, nothing more to decide
        state = decision.current()
        for provider in owned:
            if not state.allows(provider):
                _expire(response, provider, sent, exact_names=False)
    return response


def _expire(
    response: Response, provider: Provider, sent: Iterable[str], *, exact_names: bool
) -> None:
    for cookie in provider.cookies:
        if exact_names and not cookie.is_pattern:
            names = [cookie.name]
        else:
            names = sorted(name for name in sent if cookie.matches(name))
        for name in names:
            for header in deletions(cookie, name):
                response.headers.add("Set-Cookie", header)
