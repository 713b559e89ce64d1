"""Who may be measured: the banner decision, the visitor's stored choice, Sec-GPC and DNT.

Decided here and nowhere else; templates get the result as the one variable ``consent``.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass

from flask import Flask
from flask import current_app
from flask import g
from flask import request
from flask.wrappers import Response
from flask_login import current_user
from itsdangerous import BadData
from itsdangerous import URLSafeSerializer

from .. import registry
from .. import state as app_state
from ..providers import Provider
from ..providers import pages
from ..public import is_public


@dataclass(frozen=True)
class Choice:
    """What the visitor chose, as kept in the consent cookie (and in the proof record)."""

    consent_id: str
    version: str
    choices: dict[str, bool]
    at: int


@dataclass(frozen=True)
class ConsentState:
    """The consent situation of the current request."""

    providers: tuple[Provider, ...]
    banner: bool
    choice: Choice | None
    gpc: bool
    dnt: bool
    # A public page seen by an anonymous visitor: the only kind a tag may ever run on.
    public_page: bool = False
    path: str = "/"
    # The policy version of a choice made before the policy changed (the banner says what changed).
    previous_version: str | None = None

    @property
    def show_banner(self) -> bool:
        """Ask when the banner exists and the visitor has neither chosen nor sent Sec-GPC."""
        return self.banner and self.choice is None and not self.gpc

    def allows(self, provider: Provider) -> bool:
        """May this visitor be measured by ``provider``? An explicit choice wins over signals."""
        if self.choice is not None and provider.key in self.choice.choices:
            return self.choice.choices[provider.key]
        if not provider.exempt:
            return False  # no consent yet: nothing before a positive act
        return not (self.gpc or self.dnt)  # objection to exempt measurement

    @property
    def allowed(self) -> tuple[Provider, ...]:
        return tuple(p for p in self.providers if self.allows(p))

    def runs_here(self, provider: Provider) -> bool:
        """May ``provider``'s tag run on this page, if the visitor allows it?"""
        return self.public_page and pages.runs_on(provider, self.path)

    @property
    def active(self) -> tuple[Provider, ...]:
        """The providers whose tag this response carries (and whose origins its CSP admits)."""
        return tuple(p for p in self.allowed if self.runs_here(p))


def init_app(app: Flask) -> None:
    """Expose the consent state of each request to templates as `consent`."""
    app.context_processor(lambda: {"consent": current()})


def current() -> ConsentState:
    """The consent state of this request (computed once per request)."""
    # Read on every page several times (context, tags, CSP, page cache): one lookup of `g` each.
    state = g.get("consent_state")
    if state is None:
        state = g.consent_state = _decide()
    return state


def _decide() -> ConsentState:
    app, req = current_app._get_current_object(), request._get_current_object()
    shared = app_state.of(app)
    providers = shared.providers
    # No measurement configured: no stored choice to read, and no page a tag could run on.
    choice, previous_version = _read_choice() if providers else (None, None)
    view = app.view_functions.get(req.endpoint) if providers and req.endpoint else None
    return ConsentState(
        providers=providers,
        banner=shared.banner,
        choice=choice,
        # From the WSGI environ: Headers.get raises and catches on a missing header.
        gpc=req.environ.get("HTTP_SEC_GPC", "").strip() == "1",
        dnt=req.environ.get("HTTP_DNT", "").strip() == "1",
        public_page=bool(providers) and is_public(view) and not _signed_in(),
        path=req.path,
        previous_version=previous_version,
    )


def page_variant() -> str | None:
    """For the page cache (:mod:`prospectra.caching`): a page with the banner is this visitor's
    own (its forms carry their CSRF token); otherwise it depends on the tags the choice allows."""
    state = current()
    if state.show_banner:
        return None
    return "tags=" + "+".join(p.key for p in state.active) if state.active else ""


def _signed_in() -> bool:
    # A logged-in page never carries a tag; an anonymous visitor of a public page has no session.
    return current_user.is_authenticated


def cookie_name() -> str:
    return registry.cookie_name(
        registry.CONSENT, relaxed=current_app.config["PROSPECTRA"]["cookies"]["relaxed"]
    )


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt="prospectra-consent")


def _read_choice() -> tuple[Choice | None, str | None]:
    """The stored choice, if it is genuine, made under the current policy and not expired;
    else None, with the version of a genuine choice made under an earlier policy."""
    raw = request.cookies.get(cookie_name())
    if not raw:
        return None, None
    try:
        data = _serializer().loads(raw)
        choice = Choice(str(data["id"]), str(data["v"]), dict(data["c"]), int(data["t"]))
    except (BadData, KeyError, TypeError, ValueError):
        return None, None  # tampered or malformed: ask again
    days = current_app.config["PROSPECTRA"]["consent"]["choice_days"]
    if not all(isinstance(v, bool) for v in choice.choices.values()):
        return None, None
    if time.time() - choice.at > days * 86400:
        return None, None
    if choice.version != app_state.current().policy_version:
        return None, choice.version  # the policy changed: ask again, saying what changed
    return choice, None


def new_choice(choices: dict[str, bool], previous: Choice | None) -> Choice:
    """A choice made now, keeping the browser's consent id when it already had one."""
    return Choice(
        consent_id=previous.consent_id if previous else secrets.token_urlsafe(16),
        version=app_state.current().policy_version,
        choices=choices,
        at=int(time.time()),
    )


def store_choice(response: Response, choice: Choice) -> None:
    """Set the consent cookie with the attributes the registry declares for it."""
    name = cookie_name()
    declared = app_state.current().declaration["cookies"]
    attributes = next(c["attributes"] for c in declared if c["name"] == name)
    value = {"id": choice.consent_id, "v": choice.version, "c": choice.choices, "t": choice.at}
    response.set_cookie(
        name,
        _serializer().dumps(value),
        max_age=attributes["max_age"],
        path=attributes["path"],
        secure=attributes["secure"],
        httponly=attributes["http_only"],
        samesite=attributes["same_site"],
    )
