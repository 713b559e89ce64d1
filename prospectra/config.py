"""Settings: prospectra/default.toml, then $PROSPECTRA_CONFIG, then PROSPECTRA_* variables.

Flask's own ``from_file`` keeps only upper-case keys and replaces nested tables whole, so the
project reads its lower-case TOML tables itself, validates them against default.toml (which is the
schema) and maps them to Flask's and the extensions' keys in one place, :func:`flask_config`.
"""

from __future__ import annotations

import copy
import datetime
import ipaddress
import json
import os
import re
import secrets
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import Flask
from limits import parse_many

from . import invocation
from . import paths
from . import registry
from . import sealing
from .providers import ProviderError
from .providers import build as build_providers
from .providers import rules as provider_rules

DEFAULT_FILE = paths.PACKAGE / "default.toml"
ENV_PREFIX = "PROSPECTRA_"
FILE_VARIABLE = "PROSPECTRA_CONFIG"
ONE_YEAR = 365 * 24 * 3600
# A plain address: nothing that would change the meaning of the mailto: link it is shown in.
_EMAIL = re.compile(r"[A-Za-z0-9.!#$%&'*+/=^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?")


class ConfigError(Exception):
    """A setting is unknown, of the wrong type or contradicts another; the message names the key."""


def load_settings(
    overrides: Mapping[str, Any] | None = None, environ: Mapping[str, str] = os.environ
) -> dict[str, Any]:
    """Return the merged, validated settings.

    :param overrides: nested settings applied last (tests use it).
    :raises ConfigError: on the first invalid key, with a one-line message.
    """
    schema = _read_toml(DEFAULT_FILE)
    settings = copy.deepcopy(schema)
    if environ.get(FILE_VARIABLE):
        _merge(settings, _read_toml(Path(environ[FILE_VARIABLE])), schema, "")
    _merge(settings, _from_environ(environ, schema), schema, "")
    if overrides:
        _merge(settings, overrides, schema, "")
    _check(settings)
    return settings


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as f:
            return tomllib.load(f)
    except OSError as e:
        if path == DEFAULT_FILE:
            raise ConfigError(
                f"the package's own settings file {path} is missing ({e.strerror}): "
                "reinstall prospectra; its wheel must include prospectra/default.toml"
            ) from None
        raise ConfigError(f"{FILE_VARIABLE}: cannot read {path}: {e.strerror}") from None
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{path}: not valid TOML: {e}") from None


def _from_environ(environ: Mapping[str, str], schema: dict[str, Any]) -> dict[str, Any]:
    """Turn PROSPECTRA_TABLE__KEY=value into {"table": {"key": value}} (JSON when it parses)."""
    result: dict[str, Any] = {}
    for name, raw in environ.items():
        if not name.startswith(ENV_PREFIX) or name == FILE_VARIABLE:
            continue
        path = name[len(ENV_PREFIX) :].lower().split("__")
        expected = schema
        for part in path:
            expected = expected.get(part) if isinstance(expected, dict) else None
        try:
            value = json.loads(raw)
        except ValueError:
            value = raw
        if isinstance(expected, str) and not isinstance(value, str):
            value = raw  # a secret such as "123456" stays a string
        node = result
        for part in path[:-1]:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise ConfigError(f"{name}: conflicts with another PROSPECTRA_ variable")
        node[path[-1]] = value
    return result


def _merge(target: dict, source: Mapping, schema: dict, prefix: str) -> None:
    for key, value in source.items():
        where = f"{prefix}{key}"
        if key not in schema:
            raise ConfigError(f"{where}: unknown key (prospectra/default.toml lists every key)")
        expected = schema[key]
        if isinstance(expected, dict):
            if not isinstance(value, Mapping):
                raise ConfigError(f"{where}: expected a table of settings")
            _merge(target[key], value, expected, where + ".")
            continue
        if type(value) is not type(expected) and not (
            isinstance(expected, float) and type(value) is int
        ):
            raise ConfigError(
                f"{where}: expected {_type_name(expected)}, got {_type_name(value)} {value!r}"
            )
        target[key] = value


def _type_name(value: Any) -> str:
    names = {bool: "true/false", int: "an integer", float: "a number", str: "a string"}
    return names.get(type(value), type(value).__name__)


def _check(s: dict[str, Any]) -> None:
    """Reject values that are well typed but out of range or contradictory, table by table."""
    _one_of(s, "app.environment", ("development", "production"))
    production = s["app"]["environment"] == "production"
    for check in (
        _check_app,
        _check_session,
        _check_database,
        _check_cookies,
        _check_security,
        _check_proxy,
        _check_service,
        _check_server,
        _check_privacy,
        _check_mail,
        _check_assist,
        _check_legal_mentions,
        _check_limits,
    ):
        check(s, production)


def _check_app(s: dict[str, Any], production: bool) -> None:
    """The instance folder and the secret key: where the app keeps its files, what signs them."""
    if s["app"]["instance_path"] and not Path(s["app"]["instance_path"]).is_absolute():
        raise ConfigError("app.instance_path: must be an absolute path")
    if production and not s["app"]["instance_path"] and not paths.in_checkout():
        raise ConfigError("app.instance_path: required in production (an absolute path)")
    secret = s["app"]["secret_key"]
    if secret and len(secret) < 32:
        raise ConfigError("app.secret_key: must be at least 32 characters")
    if production and not secret:
        raise ConfigError("app.secret_key: required in production (set PROSPECTRA_APP__SECRET_KEY)")
    previous = s["app"]["previous_secret_keys"]
    if not isinstance(previous, list) or not all(
        isinstance(key, str) and len(key) >= 32 for key in previous
    ):
        raise ConfigError("app.previous_secret_keys: a list of keys of at least 32 characters")
    if previous and not secret:
        raise ConfigError("app.previous_secret_keys: only with app.secret_key set")


def _check_session(s: dict[str, Any], production: bool) -> None:
    """The session store and the lifetimes the cookie policy promises (idle within absolute)."""
    _one_of(s, "session.store", ("sqlalchemy", "redis"))
    _between(s, "session.idle_timeout_minutes", 1, 24 * 60)
    _between(s, "session.absolute_lifetime_hours", 1, 30 * 24)
    _between(s, "session.cleanup_every_n_requests", 0, 10**9)
    _between(s, "session.redis_timeout_seconds", 0.1, 30)
    if s["session"]["store"] == "redis":  # redis-py's schemes; it raised a traceback at start
        _url_of(
            s, "session.redis_url", ("redis", "rediss", "unix"),
            "not a Redis URL; use one such as redis://127.0.0.1:6379/0",
        )  # fmt: skip
    if not s["session"]["key_prefix"]:
        raise ConfigError("session.key_prefix: must not be empty")
    if s["session"]["idle_timeout_minutes"] > s["session"]["absolute_lifetime_hours"] * 60:
        raise ConfigError(
            "session.idle_timeout_minutes: longer than session.absolute_lifetime_hours"
        )


def _check_database(s: dict[str, Any], production: bool) -> None:
    _between(s, "database.connect_timeout_seconds", 1, 30)


def _check_cookies(s: dict[str, Any], production: bool) -> None:
    """The two cookies' attributes: relaxed (not Secure) only in development."""
    _one_of(s, "cookies.samesite", ("Lax", "Strict"))
    if production and s["cookies"]["relaxed"]:
        raise ConfigError("cookies.relaxed: refused in production (cookies must stay Secure)")


def _check_security(s: dict[str, Any], production: bool) -> None:
    _between(s, "security.hsts_max_age", ONE_YEAR, 10 * ONE_YEAR)
    _between(s, "security.max_request_kb", 1, 100 * 1024)


def _check_proxy(s: dict[str, Any], production: bool) -> None:
    for key in ("x_for", "x_proto", "x_host"):
        _between(s, f"proxy.{key}", 0, 5)


def _check_service(s: dict[str, Any], production: bool) -> None:
    """The domain and contact address the pages publish (the other mentions: legal mentions)."""
    if production and s["service"]["domain"] in ("", "localhost"):
        raise ConfigError("service.domain: set the public domain of the service in production")
    # Both reach pages, a mailto: link and the cookie rules (a provider cookie's domain).
    if not provider_rules.is_host_name(s["service"]["domain"]):
        raise ConfigError(
            "service.domain: a host name such as app.example.org (no scheme, port or path)"
        )
    _between(s, "service.public_port", 0, 65535)
    if not _EMAIL.fullmatch(s["service"]["contact_email"]):
        raise ConfigError("service.contact_email: not an e-mail address")
    if production and s["service"]["contact_email"].rpartition("@")[2].lower() == "localhost":
        # The development default: published, it would be an address nobody can write to.
        raise ConfigError(
            "service.contact_email: an address users can write to is required in production "
            "(LCEN art. 6-III; GDPR art. 13(1)(a))"
        )


def _check_server(s: dict[str, Any], production: bool) -> None:
    _between(s, "server.access_log_retention_days", 1, 400)


# The storages of prospectra.counters that this install serves (the redis client is a dependency;
# memcached, MongoDB and the rest would need drivers it does not have).
COUNTER_STORAGES = ("memory", "redis", "rediss", "redis+unix")


def _check_limits(s: dict[str, Any], production: bool) -> None:
    _url_of(
        s, "limits.storage_uri", COUNTER_STORAGES,
        "not a storage for the counters; use memory:// or a redis:// URL such as "
        "redis://127.0.0.1:6379/1",
    )  # fmt: skip
    for key in ("login_per_address", "login_per_account", "sends_per_user", "generations_per_user"):
        try:
            parse_many(s["limits"][key])
        except ValueError:
            raise ConfigError(f"limits.{key}: not a rate limit such as '5 per minute'") from None


def check_workers(s: dict[str, Any], workers: int) -> None:
    """Refuse, in production, throttling counters that each of several workers keeps apart.

    With ``memory://`` every gunicorn worker counts wrong passwords (and sends) on its own: a client
    whose requests are spread over N workers gets N times the limits. Called by gunicorn's
    on_starting hook, which knows how many workers it starts.
    """
    scheme = urlsplit(s["limits"]["storage_uri"]).scheme
    if workers > 1 and scheme == "memory" and s["app"]["environment"] == "production":
        raise ConfigError(
            f"limits.storage_uri: memory:// counts apart in each of the {workers} workers; set a "
            "storage they share, such as redis://127.0.0.1:6379/1, or run one worker"
        )


def _check_privacy(s: dict[str, Any], production: bool) -> None:
    """Refuse a measurement set-up that would break the published policy (CNIL rules)."""
    try:
        providers = build_providers(s)
    except ProviderError as e:
        raise ConfigError(str(e)) from None
    _one_of(s, "consent.banner", ("auto", "on", "off"))
    if not 1 <= s["consent"]["choice_days"] <= provider_rules.CHOICE_DAYS:
        raise ConfigError(
            "consent.choice_days: must be between 1 and 182 (CNIL: a choice is remembered "
            "6 months at most)"
        )
    _between(s, "consent.record_retention_days", 1, 3650)
    needing = [p.key for p in providers if not p.exempt]
    if needing and s["consent"]["banner"] == "off":
        raise ConfigError(
            f"consent.banner: cannot be 'off' while {', '.join(needing)} needs prior consent"
        )


def _check_mail(s: dict[str, Any], production: bool) -> None:
    mail = s["mail"]
    _between(s, "mail.timeout_seconds", 1, 120)
    _between(s, "mail.max_recipients", 1, 100)
    _between(s, "mail.max_drafts", 1, 10_000)
    if production and not mail["encryption_key"]:
        raise ConfigError(
            "mail.encryption_key: required in production (set PROSPECTRA_MAIL__ENCRYPTION_KEY)"
        )
    _below_worker_timeout(s, "mail.timeout_seconds")
    ports = mail["allowed_ports"]
    if not all(type(port) is int and 1 <= port <= 65535 for port in ports):
        raise ConfigError("mail.allowed_ports: expected a list of port numbers (1 to 65535)")
    if production and not ports:
        raise ConfigError(
            "mail.allowed_ports: empty (any port) is refused in production; list the SMTP ports"
        )
    networks = mail["allowed_relay_networks"]
    for value in networks:
        try:
            if type(value) is not str:
                raise TypeError(value)
            ipaddress.ip_network(value, strict=True)
        except (TypeError, ValueError):
            raise ConfigError(
                f"mail.allowed_relay_networks: {value!r} is not a network in CIDR form "
                "(e.g. 10.1.2.0/24, with no host bits set)"
            ) from None
    keys = [("mail.encryption_key", mail["encryption_key"])] if mail["encryption_key"] else []
    keys += [("mail.previous_encryption_keys", key) for key in mail["previous_encryption_keys"]]
    for name, key in keys:
        try:
            sealing.parse_key(key)
        except (TypeError, AttributeError, ValueError):
            raise ConfigError(
                f"{name}: not a Fernet key (32 bytes, url-safe base64; see prospectra/default.toml)"
            ) from None


def _check_assist(s: dict[str, Any], production: bool) -> None:
    assist = s["assist"]
    _one_of(s, "assist.provider", ("none", "openai"))
    _between(s, "assist.timeout_seconds", 1, 300)
    _below_worker_timeout(s, "assist.timeout_seconds")
    if assist["provider"] == "none":
        return
    try:
        url = urlsplit(assist["base_url"])
        host = url.hostname
    except ValueError:
        host = None
    loopback = host in ("localhost", "127.0.0.1", "::1")
    if not host or not (url.scheme == "https" or (url.scheme == "http" and loopback)):
        raise ConfigError(
            "assist.base_url: required with provider 'openai', an https:// URL "
            "(http:// only for localhost)"
        )
    if not assist["model"].strip():
        raise ConfigError("assist.model: required with provider 'openai'")
    _between(s, "assist.retention_days", -1, 3650)
    if production and assist["retention_days"] < 0:
        raise ConfigError(
            "assist.retention_days: required in production (GDPR art. 13(2)(a): how long the "
            "provider keeps the instructions; 0 when it keeps none)"
        )
    try:
        provider_rules.recipient("assist", assist, production=False, required=False)
    except ProviderError as e:
        raise ConfigError(str(e)) from None
    url = assist["privacy_policy_url"]
    if url and (urlsplit(url).scheme != "https" or not urlsplit(url).hostname or " " in url):
        raise ConfigError("assist.privacy_policy_url: must be an https:// URL")


LCEN = "LCEN art. 6-III"
# Legal forms without the company mentions (RCS number, share capital, VAT number) being required.
NOT_A_COMPANY = ("individual", "association")
_PHONE = re.compile(r"\+?[0-9][0-9 .()-]{3,30}[0-9]")


def required_mentions(s: dict[str, Any]) -> list[tuple[str, str]]:
    """The legal mentions this configuration must state, as (dotted key, law) pairs.

    A company (any legal form but "individual" and "association") also states its registration,
    share capital and VAT number; the assistant's provider, when it is on, its legal name, role and
    country, and a transfer safeguard when that country is outside the EEA.
    """
    law_13b = "GDPR art. 13(1)(b); 'none' when no DPO is designated"
    mentions = [
        ("service.publisher", LCEN),
        ("service.publisher_legal_form", LCEN),
        ("service.publisher_address", LCEN),
        ("service.publisher_phone", LCEN),
        ("service.publication_director", LCEN),
        ("service.contact_email", LCEN),
        ("service.dpo", law_13b),
        ("hosting.name", LCEN),
        ("hosting.address", LCEN),
        ("hosting.phone", LCEN),
        ("hosting.country", "GDPR art. 13(1)(f)"),
    ]
    country = s["hosting"]["country"]
    if country and country not in provider_rules.EEA:
        mentions.append(
            ("hosting.transfer_safeguard", f"GDPR art. 13(1)(f): {country} is outside the EEA")
        )
    form = s["service"]["publisher_legal_form"]
    if form and form not in NOT_A_COMPANY:
        mentions[2:2] = [
            ("service.publisher_registration", LCEN),
            ("service.publisher_share_capital", LCEN),
            ("service.publisher_vat", "LCEN art. 19"),
        ]
    assist = s["assist"]
    if assist["provider"] != "none":
        law = "GDPR art. 13(1)(e)-(f)"
        mentions += [(f"assist.{key}", law) for key in ("legal_name", "role", "country")]
        if assist["country"] and assist["country"] not in provider_rules.EEA:
            mentions.append(
                ("assist.transfer_safeguard", f"GDPR art. 13(1)(f): {assist['country']} is "
                 "outside the EEA")
            )  # fmt: skip
    return mentions


def missing_mentions(s: dict[str, Any]) -> list[str]:
    """The required mentions left empty (development shows a placeholder for each)."""
    return [key for key, _law in required_mentions(s) if not _get(s, key).strip()]


def _check_legal_mentions(s: dict[str, Any], production: bool) -> None:
    """Check the mentions' shape everywhere; refuse an empty required one in production."""
    for table in ("service", "hosting"):
        for key, value in s[table].items():
            if isinstance(value, str) and (len(value) > 300 or any(ord(c) < 32 for c in value)):
                raise ConfigError(f"{table}.{key}: at most 300 characters, on one line")
    form = s["service"]["publisher_legal_form"]
    if form != form.strip() or (form.lower() in NOT_A_COMPANY and form not in NOT_A_COMPANY):
        raise ConfigError(
            'service.publisher_legal_form: "individual", "association" or a company\'s legal '
            'form such as "SAS"'
        )
    for key in ("service.publisher_phone", "hosting.phone"):
        if _get(s, key) and not _PHONE.fullmatch(_get(s, key)):
            raise ConfigError(f"{key}: not a telephone number (digits, spaces, + . ( ) -)")
    dpo = s["service"]["dpo"]
    if dpo.lower() == "none" and dpo != "none":
        raise ConfigError('service.dpo: write "none" in lower case when no DPO is designated')
    if "@" in dpo and " " not in dpo.strip() and not _EMAIL.fullmatch(dpo):
        raise ConfigError("service.dpo: not an e-mail address")
    try:
        provider_rules.recipient("hosting", {**s["hosting"], "role": "processor"},
                                  production=False, required=False)  # fmt: skip
    except ProviderError as e:
        raise ConfigError(str(e)) from None
    if not production:
        return
    for key, law in required_mentions(s):
        if not _get(s, key).strip():
            raise ConfigError(f"{key}: required in production ({law})")


# The app's own deadlines end this long before gunicorn kills the worker: time to render the page.
WORKER_MARGIN_SECONDS = 5


def _below_worker_timeout(s: dict[str, Any], dotted: str) -> None:
    """A deadline gunicorn would cut short answers with its bare 500 instead of the app's message."""
    _between(s, "server.worker_timeout_seconds", 10, 600)
    worker = s["server"]["worker_timeout_seconds"]
    if _get(s, dotted) > worker - WORKER_MARGIN_SECONDS:
        raise ConfigError(
            f"{dotted}: must end at least {WORKER_MARGIN_SECONDS} seconds before "
            f"server.worker_timeout_seconds ({worker}), at most {worker - WORKER_MARGIN_SECONDS}"
        )


def _get(s: dict, dotted: str) -> Any:
    table, key = dotted.split(".")
    return s[table][key]


def _one_of(s: dict, dotted: str, allowed: tuple[str, ...]) -> None:
    if _get(s, dotted) not in allowed:
        raise ConfigError(f"{dotted}: must be one of {', '.join(map(repr, allowed))}")


def _url_of(s: dict, dotted: str, schemes: tuple[str, ...], refusal: str) -> None:
    """Refuse a value that is not a whole ``scheme://...`` URL of one of ``schemes``.

    What redis-py and limits would only trip over later is refused here: a port that is no port
    (their traceback at start), a host with a blank or a ';', a database that is no number
    (redis-py silently used database 0), a unix:// URL without a socket path.
    """
    value = _get(s, dotted)
    if not isinstance(value, str) or not _is_url_of(value, schemes):
        raise ConfigError(f"{dotted}: {refusal}")


def _is_url_of(value: str, schemes: tuple[str, ...]) -> bool:
    if any(c.isspace() for c in value):
        return False
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 (parsed here: not a number, or out of range, raises ValueError)
    except ValueError:
        return False
    if parts.scheme not in schemes or not value.startswith(f"{parts.scheme}://"):
        return False
    if parts.scheme == "memory":
        return value == "memory://"
    if parts.scheme.endswith("unix"):  # a socket: its absolute path, no host
        return not parts.netloc and parts.path.startswith("/")
    host_ok = bool(parts.hostname) and provider_rules.is_host_name(parts.hostname)
    return host_ok and re.fullmatch(r"(/[0-9]*)?", parts.path) is not None


def _between(s: dict, dotted: str, low: float, high: float) -> None:
    if not low <= _get(s, dotted) <= high:
        raise ConfigError(f"{dotted}: must be between {low} and {high}")


def instance_folder(settings: dict[str, Any]) -> Path:
    """Return the folder the running app writes to: ``[app] instance_path``, or its default.

    The default is ``instance/`` in the checkout, whatever the current directory; an installed
    package has no checkout, so there the setting is required (production: see :func:`_check_app`;
    development: :func:`check_instance` refuses the current directory's ``instance/``, but listing
    the CLI's commands, which writes nothing, works).
    """
    if settings["app"]["instance_path"]:
        return Path(settings["app"]["instance_path"])
    return (paths.PROJECT_ROOT if paths.in_checkout() else Path.cwd()) / "instance"


def instance_secret(instance_path: Path) -> str:
    """Return the development secret kept in the instance folder, creating it on first use."""
    path = instance_path / "secret_key"
    if not path.exists():
        # Several workers may start at once: each writes its own candidate, and the first hard
        # link to win becomes the secret; nobody ever reads a half-written file.
        # Readable by the service's user alone, as every file of the instance folder.
        instance_path.mkdir(mode=0o700, parents=True, exist_ok=True)
        candidate = instance_path / f".secret_key.{os.getpid()}"
        fd = os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.fchmod(fd, 0o600)  # a stale candidate left by a crash keeps its mode through O_CREAT
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_urlsafe(48))
        try:
            os.link(candidate, path)
        except FileExistsError:
            pass
        finally:
            candidate.unlink()
    return path.read_text().strip()


INSTANCE_MARKER = "ENVIRONMENT"


def check_instance(
    settings: dict[str, Any], instance_path: Path, environ: Mapping[str, str] = os.environ
) -> None:
    """Mark an instance folder production uses; refuse development settings over a marked one.

    A cron line or a shell missing the environment file would otherwise run on development
    settings and quietly create a second database and secret key beside the production data.
    Called before anything is created in the folder. Production marks a folder that exists (or that
    its SQLite database will need): on PostgreSQL the disk may be read-only, and the marker, which
    also names $PROSPECTRA_CONFIG for the refusal's message, is then best effort.

    :raises ConfigError: development settings over a folder marked by production, or outside a
        checkout without an instance folder of their own (the environment file was forgotten).
    """
    development = settings["app"]["environment"] != "production"
    if development and not settings["app"]["instance_path"] and not paths.in_checkout():
        # An installed package runs in production (the README's deployment); development
        # settings there are a command missing its environment, about to write into the cwd.
        raise ConfigError(
            f"app.environment: development settings outside a checkout would write into "
            f"{instance_path}; set {FILE_VARIABLE} to the production settings (see README), or "
            f"[app] instance_path for a development instance"
        )
    marker = instance_path / INSTANCE_MARKER
    if settings["app"]["environment"] == "production":
        sqlite = not settings["database"]["url"]
        if marker.exists() or not (instance_path.is_dir() or sqlite):
            return
        lines = ["production", f"{FILE_VARIABLE}={environ.get(FILE_VARIABLE, '')}"]
        try:
            instance_path.mkdir(mode=0o700, parents=True, exist_ok=True)
            fd = os.open(marker, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write("\n".join(lines) + "\n")
        except OSError:
            pass  # a read-only or foreign folder: production runs all the same
        return
    try:
        lines = marker.read_text().splitlines()
    except OSError:
        return  # no marker: a development folder
    if lines[:1] != ["production"]:
        return
    said = dict(line.partition("=")[::2] for line in lines[1:])
    expected = said.get(FILE_VARIABLE) or "the production settings file"
    raise ConfigError(
        f"app.environment: {instance_path} holds production data; set {FILE_VARIABLE} "
        f"({expected}) / the production environment (see README)"
    )


def checked_instance_folder(settings: dict[str, Any]) -> Path:
    """The instance folder (:func:`instance_folder`), checked by :func:`check_instance` before
    anything is created in it; not when the CLI only lists its commands, which writes nothing."""
    path = instance_folder(settings)
    if not invocation.only_help():
        check_instance(settings, path)
    return path


def init_app(app: Flask, settings: dict[str, Any]) -> None:
    """Give Flask and its extensions their keys, and every template the ``[service]`` table.

    Listing the CLI's commands creates no secret key file (see :func:`flask_config`).
    """
    write = not invocation.only_help()
    app.config.from_mapping(flask_config(settings, Path(app.instance_path), write=write))
    # A global, not a context processor: the same for every page, so nothing runs per render.
    app.jinja_env.globals["service"] = settings["service"]


def flask_config(
    settings: dict[str, Any], instance_path: Path, *, write: bool = True
) -> dict[str, Any]:
    """Map the settings to the keys Flask and its extensions read.

    :param write: False when the app only lists CLI commands: no development secret key file is
        created in the instance folder (a throwaway key signs nothing anyone keeps).
    """
    session, cookies = settings["session"], settings["cookies"]
    relaxed = cookies["relaxed"]
    database_url = settings["database"]["url"] or (
        f"sqlite:///{instance_path / 'prospectra.sqlite3'}"
    )
    max_bytes = settings["security"]["max_request_kb"] * 1024
    absolute = datetime.timedelta(hours=session["absolute_lifetime_hours"])
    return {
        "PROSPECTRA": settings,
        "SECRET_KEY": settings["app"]["secret_key"]
        or (instance_secret(instance_path) if write else secrets.token_urlsafe(48)),
        "SECRET_KEY_FALLBACKS": list(settings["app"]["previous_secret_keys"]),
        "PREFERRED_URL_SCHEME": "https",
        # An error Flask finds outside a view (saving the session) gets the error page in tests and
        # in development too, as in production, instead of escaping to the test client or debugger.
        "PROPAGATE_EXCEPTIONS": False,
        "TRUSTED_HOSTS": _trusted_hosts(settings),
        "MAX_CONTENT_LENGTH": max_bytes,
        "MAX_FORM_MEMORY_SIZE": max_bytes,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SQLALCHEMY_ENGINE_OPTIONS": _engine_options(settings["database"], database_url),
        # Flask-Session: the cookie ends with the browser; the server record's expiry is the idle
        # timeout, pushed back by activity (when: sessions/store.py decides, and checks
        # both the idle timeout and the absolute lifetime itself).
        "SESSION_TYPE": session["store"],
        "SESSION_PERMANENT": False,
        "SESSION_REFRESH_EACH_REQUEST": False,
        "PERMANENT_SESSION_LIFETIME": datetime.timedelta(minutes=session["idle_timeout_minutes"]),
        "SESSION_ABSOLUTE_LIFETIME": absolute,
        "SESSION_CLEANUP_N_REQUESTS": session["cleanup_every_n_requests"] or None,
        "SESSION_KEY_PREFIX": session["key_prefix"],
        "SESSION_COOKIE_NAME": registry.cookie_name(registry.SESSION, relaxed=relaxed),
        "SESSION_COOKIE_PATH": "/",
        "SESSION_COOKIE_DOMAIN": None,
        "SESSION_COOKIE_SECURE": not relaxed,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": cookies["samesite"],
        "CSRF_COOKIE_NAME": registry.cookie_name(registry.CSRF, relaxed=relaxed),
        # A login form left open stays valid as long as a session could last.
        "WTF_CSRF_TIME_LIMIT": int(absolute.total_seconds()),
        # Production checks the Referer against public_origin() itself (security.py): Flask-WTF's
        # own check compares with the forwarded Host, whose port depends on the proxy's spelling.
        "WTF_CSRF_SSL_STRICT": public_origin(settings) is None,
        "REMEMBER_COOKIE_REFRESH_EACH_REQUEST": False,
    }


def public_origin(settings: dict[str, Any]) -> str | None:
    """The origin browsers send in Origin and Referer, from [service] domain and public_port.

    Production compares with this, never with the Host the proxy forwards: nginx's usual
    ``X-Forwarded-Host $host`` drops a port such as 8443, and every login then failed the
    same-origin checks. Development has none (it compares with the request's own host).
    """
    if settings["app"]["environment"] != "production":
        return None
    service = settings["service"]
    port = service["public_port"]
    return f"https://{service['domain']}" + (f":{port}" if port not in (0, 443) else "")


def _trusted_hosts(settings: dict[str, Any]) -> list[str] | None:
    """The Host values production answers (Flask's TRUSTED_HOSTS); any other is a 400 page.

    A forged ``Host: evil.test`` would otherwise come back in the http -> https redirect and in
    every absolute URL. Behind ProxyFix with ``x_host`` the name checked is the proxy's
    X-Forwarded-Host, with or without a port (Werkzeug ignores the port here). Loopback names are
    kept for a health check run on the same machine (gunicorn listens on 127.0.0.1); a probe from
    another machine sends ``Host: <domain>``. Development answers any host.
    """
    if settings["app"]["environment"] != "production":
        return None
    return [settings["service"]["domain"], "localhost", "127.0.0.1"]


def _engine_options(database: dict[str, Any], url: str) -> dict[str, Any]:
    # pre_ping: a connection that died while PostgreSQL restarted is replaced, not used (the app
    # recovers by itself); connect_timeout: an unreachable server costs a bounded wait, then 503.
    # A SQLite file has no connection to lose: no ping (it would cost a query per request).
    if not url.startswith("postgresql"):
        return {}
    return {
        "pool_pre_ping": True,
        "connect_args": {"connect_timeout": database["connect_timeout_seconds"]},
    }
