"""The checks every provider setting passes before it may reach a page, a header or the CSP.

Written by hand: these are CNIL's ceilings and the shape of a CSP source, which no library
states. Each refusal is one line naming the key and the rule.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

# CNIL deliberation 2020-091 and its guidelines: ceilings of lifetimes and retention.
CONSENT_COOKIE_DAYS = 395  # a cookie that needs consent: 13 months
EXEMPT_COOKIE_DAYS = 395  # an exempt measurement cookie: 13 months, not extended by visits
CHOICE_DAYS = 182  # the visitor's choice remembered 6 months
MEASUREMENT_DATA_MONTHS = 25  # measurement data: 25 months

# The application's own cookies (prospectra/registry.py declares them under these keys); no
# provider may declare, match or overwrite one of them.
OWN_KEYS = ("session", "csrf", "consent")
HOST_PREFIX = "__Host-"
_RESERVED_PREFIXES = ("__host-", "__secure-")

# RFC 6265 token: any CHAR but controls and separators.
_TOKEN = re.compile(r"[!#$%&'+\-.^_`|~0-9A-Za-z]+")
_HOST = re.compile(
    r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
)
_PAGE = re.compile(r"/[A-Za-z0-9/_.~-]*\*?")
_PATH = re.compile(r"/[A-Za-z0-9/_.~-]*")
LOOPBACK_NAMES = ("localhost",)


class ProviderError(ValueError):
    """A provider's settings contradict the rules; the message names the key."""


@dataclass(frozen=True)
class Context:
    """What the checks need from the rest of the settings."""

    production: bool
    domain: str
    own_cookies: frozenset[str]

    @classmethod
    def from_settings(cls, settings: dict[str, Any]) -> Context:
        return cls(
            production=settings["app"]["environment"] == "production",
            domain=settings["service"]["domain"].lower(),
            own_cookies=frozenset(OWN_KEYS + tuple(HOST_PREFIX + k for k in OWN_KEYS)),
        )


def is_host_name(value: str) -> bool:
    """A DNS host name (letters, digits, hyphens, dots; any case) or an IP address."""
    return bool(_HOST.fullmatch(value.lower())) or _ip(value)


def is_loopback(host: str) -> bool:
    host = host.lower().rstrip(".")
    if host in LOOPBACK_NAMES or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _parse(key: str, value: str) -> Any:
    if not isinstance(value, str) or any(c.isspace() or ord(c) < 32 for c in value) or not value:
        raise ProviderError(f"{key}: must be a URL without spaces")
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018  (raises on a bad port)
    except ValueError:
        raise ProviderError(f"{key}: not a valid URL") from None
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise ProviderError(f"{key}: must not carry credentials (user:password@)")
    host = parts.hostname or ""
    if "*" in value or not (_HOST.fullmatch(host) or _ip(host)):
        raise ProviderError(f"{key}: needs a host name, without wildcards")
    return parts


def _ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _scheme(context: Context, key: str, parts: Any) -> None:
    local = is_loopback(parts.hostname)
    if context.production and local:
        raise ProviderError(
            f"{key}: a loopback or localhost address is refused in production (in a visitor's "
            "browser it is the visitor's own machine)"
        )
    if parts.scheme == "https" or (parts.scheme == "http" and local):
        return
    raise ProviderError(f"{key}: must be an https:// URL (http only on localhost in development)")


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.lower()}"


def origin(context: Context, key: str, value: str) -> str:
    """An origin exactly: scheme, host and optional port; nothing the CSP could read otherwise."""
    parts = _parse(key, value)
    if parts.path not in ("", "/") or parts.query or parts.fragment or value.endswith("?"):
        raise ProviderError(f"{key}: an origin is scheme://host[:port], without path or query")
    _scheme(context, key, parts)
    return origin_of(value)


def base_url(context: Context, key: str, value: str) -> str:
    """A base URL (Matomo's): https, ending with '/', no query, fragment or credentials."""
    parts = _parse(key, value)
    if parts.query or parts.fragment or "?" in value or "#" in value:
        raise ProviderError(f"{key}: must not carry a query or fragment")
    if not _PATH.fullmatch(parts.path or "/") or not value.endswith("/"):
        raise ProviderError(f"{key}: must end with '/' (e.g. https://stats.example.org/)")
    _scheme(context, key, parts)
    return value


def script_src(context: Context, key: str, value: str) -> str:
    """A tag's script URL: https (a query is fine, e.g. ?id=G-XXXX), no credentials."""
    parts = _parse(key, value)
    if parts.fragment or not _PATH.fullmatch(parts.path or "/"):
        raise ProviderError(f"{key}: not a script URL (path of letters, digits and / . _ ~ -)")
    _scheme(context, key, parts)
    return value


def policy_url(context: Context, key: str, value: str, *, required: bool = False) -> str:
    """The vendor's own privacy policy, linked from the banner and the policy."""
    if not value:
        if required:
            raise ProviderError(f"{key}: required (the vendor's privacy policy, https)")
        return ""
    parts = _parse(key, value)
    if parts.scheme != "https" and not (not context.production and is_loopback(parts.hostname)):
        raise ProviderError(f"{key}: must be an https:// URL")
    return value


def text(key: str, value: str, limit: int) -> str:
    value = value.strip()
    if len(value) > limit or any(ord(c) < 32 for c in value):
        raise ProviderError(f"{key}: at most {limit} characters, on one line")
    return value


def pages(key: str, value: list) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise ProviderError(f"{key}: expected a list of paths such as ['/', '/help/*']")
    for i, page in enumerate(value):
        if not isinstance(page, str) or not _PAGE.fullmatch(page) or "**" in page:
            raise ProviderError(
                f"{key}[{i}]: a path such as '/' or '/help/*' ('*' only at the end)"
            )
    return tuple(value)


def cookie_days(key: str, days: int, *, exempt: bool) -> None:
    ceiling = EXEMPT_COOKIE_DAYS if exempt else CONSENT_COOKIE_DAYS
    if not 1 <= days <= ceiling:
        rule = "an exempt measurement cookie" if exempt else "a cookie that needs consent"
        raise ProviderError(
            f"{key}: must be between 1 and {ceiling} days (CNIL 2020-091: {rule} lasts 13 "
            "months at most)"
        )


def data_months(key: str, months: int) -> None:
    if not 1 <= months <= MEASUREMENT_DATA_MONTHS:
        raise ProviderError(
            f"{key}: must be between 1 and {MEASUREMENT_DATA_MONTHS} (CNIL: measurement data kept "
            "25 months at most)"
        )


COOKIE_KEYS = {
    "name": str, "retention_days": int, "purpose": str, "purpose_fr": str,
    "domain": str, "path": str, "secure": bool, "same_site": str,
}  # fmt: skip
REQUIRED_COOKIE_KEYS = {"name", "retention_days", "purpose"}


def cookie_name(context: Context, key: str, name: str) -> str:
    """A cookie name: an RFC 6265 token, or a token prefix ending with one '*'."""
    stem = name[:-1] if name.endswith("*") else name
    if not _TOKEN.fullmatch(stem) or len(stem) < 2 or len(name) > 100:
        raise ProviderError(
            f"{key}: a cookie name (letters, digits and !#$%&'+-.^_`|~), optionally ending "
            "with one '*' after at least two characters"
        )
    if stem.lower().startswith(_RESERVED_PREFIXES):
        raise ProviderError(f"{key}: __Host- and __Secure- names are reserved to the application")
    clash = [own for own in sorted(context.own_cookies) if own == name or (
        name.endswith("*") and own.startswith(stem))]  # fmt: skip
    if clash:
        raise ProviderError(f"{key}: {name!r} would match the application's own cookie {clash[0]}")
    return name


def script_cookie(context: Context, key: str, cookie: Any) -> Any:
    """One declared cookie of a third-party tag, with the attributes the tag gives it."""
    from . import ProviderCookie  # the dataclass lives beside the providers

    if not isinstance(cookie, dict) or not REQUIRED_COOKIE_KEYS <= set(cookie):
        raise ProviderError(f"{key}: needs at least name, retention_days and purpose")
    for name, value in cookie.items():
        if name not in COOKIE_KEYS:
            raise ProviderError(f"{key}.{name}: unknown key ({', '.join(COOKIE_KEYS)})")
        if type(value) is not COOKIE_KEYS[name]:
            raise ProviderError(f"{key}.{name}: expected {COOKIE_KEYS[name].__name__}")
    days = cookie["retention_days"]
    cookie_days(f"{key}.retention_days", days, exempt=False)
    domain = cookie.get("domain", "").lower().lstrip(".") or None
    if domain is not None and not (
        _HOST.fullmatch(domain)
        and (context.domain == domain or context.domain.endswith("." + domain))
        and ("." in domain or domain == context.domain)
    ):
        raise ProviderError(
            f"{key}.domain: must be the service's domain ({context.domain}) or a parent of it"
        )
    path = cookie.get("path", "/")
    if not _PATH.fullmatch(path):
        raise ProviderError(f"{key}.path: a path such as '/' or '/legal'")
    same_site = cookie.get("same_site", "Lax")
    if same_site not in ("Lax", "Strict", "None"):
        raise ProviderError(f"{key}.same_site: one of 'Lax', 'Strict', 'None'")
    secure = cookie.get("secure", True)
    if same_site == "None" and not secure:
        raise ProviderError(f"{key}.secure: SameSite=None cookies must be Secure")
    return ProviderCookie(
        name=cookie_name(context, f"{key}.name", cookie["name"]),
        max_age=days * 86400,
        purpose=text(f"{key}.purpose", cookie["purpose"], 300),
        purpose_fr=text(f"{key}.purpose_fr", cookie.get("purpose_fr", ""), 300)
        or _english_in_development(context, f"{key}.purpose_fr", cookie["purpose"].strip()),
        domain=domain,
        path=path,
        secure=secure,
        same_site=same_site,
    )


def _english_in_development(context: Context, key: str, english: str) -> str:
    """A missing French text: the English one in development, refused in production."""
    if context.production:
        raise ProviderError(f"{key}: required in production (French pages show no English)")
    return english


def check_together(providers: list) -> None:
    """Two providers may neither share an origin (unless they need the same consent) nor cookies."""
    for i, a in enumerate(providers):
        for b in providers[i + 1 :]:
            shared = set(a.origins) & set(b.origins)
            same_consent = a.exempt == b.exempt and a.purpose_key == b.purpose_key
            if shared and not same_consent:
                raise ProviderError(
                    f"analytics.{b.key}: shares the origin {sorted(shared)[0]} with {a.key}, which "
                    "needs another consent (the CSP could not tell them apart)"
                )
            for ca in a.cookies:
                for cb in b.cookies:
                    if ca.matches(cb.name) or cb.matches(ca.name) or (
                        ca.is_pattern and cb.is_pattern and (
                            ca.name[:-1].startswith(cb.name[:-1])
                            or cb.name[:-1].startswith(ca.name[:-1]))):  # fmt: skip
                        raise ProviderError(
                            f"analytics.{b.key}: cookie {cb.name!r} overlaps {a.key}'s {ca.name!r}"
                        )


# Recipients outside the publisher (GDPR art. 13(1)(e)-(f)): a host, the assistant's provider, a
# tag's vendor. The EEA: the 27 EU member states, Iceland, Liechtenstein and Norway.
EEA = frozenset(
    "AT BE BG CY CZ DE DK EE ES FI FR GR HR HU IE IT LT LU LV MT NL PL PT RO SE SI SK IS LI NO".split()
)
# Countries with a Commission adequacy decision (GDPR art. 45) for private bodies, as of 2026:
# Andorra, Argentina, Canada, the Faroe Islands, Guernsey, Israel, the Isle of Man, Japan, Jersey,
# New Zealand, South Korea, Switzerland, the United Kingdom, Uruguay. The United States only for
# companies certified under the Data Privacy Framework: "dpf".
ADEQUACY = frozenset("AD AR CA FO GG IL IM JP JE NZ KR CH GB UY".split())
ROLES = ("processor", "controller")
SAFEGUARDS = ("adequacy", "dpf", "scc")


def country(key: str, value: str) -> str:
    """An ISO 3166-1 alpha-2 code that Babel names ("FR", "US"), or "" (not set)."""
    from babel import Locale

    if value and not (re.fullmatch(r"[A-Z]{2}", value) and value in Locale("en").territories):
        raise ProviderError(f"{key}: an ISO 3166-1 alpha-2 country code in capitals, e.g. 'FR'")
    return value


def recipient(prefix: str, conf: dict[str, Any], *, production: bool, required: bool) -> None:
    """Check a recipient's role, country and transfer safeguard (keys ``prefix``.role etc.).

    Values given are checked everywhere; missing ones are refused in production only when
    ``required`` (development shows a placeholder on the pages instead).
    """
    role, code, safeguard = conf["role"], conf["country"], conf["transfer_safeguard"]
    if role and role not in ROLES:
        raise ProviderError(f"{prefix}.role: must be one of {', '.join(map(repr, ROLES))}")
    country(f"{prefix}.country", code)
    if safeguard and safeguard not in SAFEGUARDS:
        raise ProviderError(
            f"{prefix}.transfer_safeguard: must be one of '', {', '.join(map(repr, SAFEGUARDS))}"
        )
    if code in EEA and safeguard:
        raise ProviderError(
            f"{prefix}.transfer_safeguard: must be empty, {code} is in the EEA (no transfer)"
        )
    if safeguard == "dpf" and code != "US":
        raise ProviderError(
            f"{prefix}.transfer_safeguard: 'dpf' (EU-US Data Privacy Framework) is for a "
            "company in the US"
        )
    if safeguard == "adequacy" and code and code not in ADEQUACY:
        raise ProviderError(
            f"{prefix}.transfer_safeguard: no adequacy decision covers {code}; use 'scc'"
            + (" or 'dpf'" if code == "US" else "")
        )
    if not (production and required):
        return
    law = "(GDPR art. 13(1)(e)-(f))"
    for key in ("role", "country"):
        if not conf[key]:
            raise ProviderError(f"{prefix}.{key}: required in production {law}")
    if code not in EEA and not safeguard:
        raise ProviderError(
            f"{prefix}.transfer_safeguard: required in production (GDPR art. 13(1)(f): {code} is "
            "outside the EEA)"
        )
