"""Settings: default.toml, then $PROSPECTRA_CONFIG, then PROSPECTRA_*; bad values stop the start."""

from __future__ import annotations

import subprocess
import sys
import tomllib

import pytest
from cryptography.fernet import Fernet

from prospectra import create_app
from prospectra.config import ConfigError
from prospectra.config import load_settings
from prospectra.paths import PROJECT_ROOT


def test_defaults_are_the_documented_embedded_set_up():
    settings = load_settings(environ={})
    assert settings["session"]["store"] == "sqlalchemy"
    assert settings["session"]["idle_timeout_minutes"] == 30
    assert settings["session"]["absolute_lifetime_hours"] == 12
    assert settings["database"]["url"] == ""
    assert settings["app"]["environment"] == "development"


def test_file_named_by_prospectra_config_overrides_defaults(tmp_path):
    path = tmp_path / "site.toml"
    path.write_text('[service]\npublisher = "Acme SAS"\n[session]\nidle_timeout_minutes = 15\n')
    settings = load_settings(environ={"PROSPECTRA_CONFIG": str(path)})
    assert settings["service"]["publisher"] == "Acme SAS"
    assert settings["session"]["idle_timeout_minutes"] == 15
    assert settings["session"]["absolute_lifetime_hours"] == 12  # tables merge, not replace


def test_environment_variables_override_the_file(tmp_path):
    path = tmp_path / "site.toml"
    path.write_text("[session]\nidle_timeout_minutes = 15\n")
    settings = load_settings(
        environ={
            "PROSPECTRA_CONFIG": str(path),
            "PROSPECTRA_SESSION__IDLE_TIMEOUT_MINUTES": "20",
            "PROSPECTRA_SESSION__STORE": "redis",
            "PROSPECTRA_APP__SECRET_KEY": "12345678901234567890123456789012",
        }
    )
    assert settings["session"]["idle_timeout_minutes"] == 20
    assert settings["session"]["store"] == "redis"
    assert settings["app"]["secret_key"] == "12345678901234567890123456789012"  # stays a string


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"PROSPECTRA_SESSION__IDLE_TIMEOUT": "5"}, "session.idle_timeout: unknown key"),
        ({"PROSPECTRA_NOPE__X": "1"}, "nope: unknown key"),
        ({"PROSPECTRA_SESSION__IDLE_TIMEOUT_MINUTES": "soon"}, "session.idle_timeout_minutes: expected an integer"),
        ({"PROSPECTRA_DATABASE__AUTO_UPGRADE": "1"}, "database.auto_upgrade: expected true/false"),
        ({"PROSPECTRA_SESSION__STORE": "memcached"}, "session.store: must be one of"),
        ({"PROSPECTRA_SESSION__IDLE_TIMEOUT_MINUTES": "0"}, "session.idle_timeout_minutes: must be between"),
        ({"PROSPECTRA_SESSION__IDLE_TIMEOUT_MINUTES": "600", "PROSPECTRA_SESSION__ABSOLUTE_LIFETIME_HOURS": "2"}, "session.idle_timeout_minutes: longer than"),
        ({"PROSPECTRA_APP__ENVIRONMENT": "production"}, "app.secret_key: required in production"),
        ({"PROSPECTRA_APP__SECRET_KEY": "short"}, "app.secret_key: must be at least 32"),
        ({"PROSPECTRA_APP__SECRET_KEY": "k" * 32, "PROSPECTRA_APP__PREVIOUS_SECRET_KEYS": '["short"]'}, "app.previous_secret_keys: a list of keys of at least 32"),
        ({"PROSPECTRA_APP__SECRET_KEY": "k" * 32, "PROSPECTRA_APP__PREVIOUS_SECRET_KEYS": '"' + "o" * 40 + '"'}, "app.previous_secret_keys: expected"),
        ({"PROSPECTRA_APP__PREVIOUS_SECRET_KEYS": '["' + "o" * 40 + '"]'}, "app.previous_secret_keys: only with app.secret_key"),
        ({"PROSPECTRA_COOKIES__SAMESITE": "None"}, "cookies.samesite: must be one of"),
        ({"PROSPECTRA_SECURITY__HSTS_MAX_AGE": "86400"}, "security.hsts_max_age: must be between"),
        ({"PROSPECTRA_SERVICE__CONTACT_EMAIL": "nobody"}, "service.contact_email: not an e-mail"),
        ({"PROSPECTRA_SERVICE__CONTACT_EMAIL": "a@b.example?subject=x"}, "service.contact_email: not an e-mail"),
        ({"PROSPECTRA_SERVICE__CONTACT_EMAIL": "a b@example.org"}, "service.contact_email: not an e-mail"),
        ({"PROSPECTRA_SERVICE__DOMAIN": "https://app.example.org"}, "service.domain: a host name"),
        ({"PROSPECTRA_SERVICE__DOMAIN": "app.example.org/x"}, "service.domain: a host name"),
        ({"PROSPECTRA_SERVICE__DOMAIN": "app.example.org\"><script>"}, "service.domain: a host name"),
        # Gone: the date comes from the policy history, the host from the [hosting] table.
        ({"PROSPECTRA_SERVICE__POLICY_DATE": "2026-11-29"}, "service.policy_date: unknown key"),
        ({"PROSPECTRA_SERVICE__HOSTING_PROVIDER": "OVH"}, "service.hosting_provider: unknown key"),
        ({"PROSPECTRA_LIMITS__LOGIN_PER_ACCOUNT": "lots"}, "limits.login_per_account: not a rate limit"),
        # The counters' storage: a scheme this install cannot serve, or no URL at all.
        ({"PROSPECTRA_LIMITS__STORAGE_URI": "memcached://127.0.0.1:11211"}, "limits.storage_uri: not a storage"),
        ({"PROSPECTRA_LIMITS__STORAGE_URI": "redis:127.0.0.1:6379"}, "limits.storage_uri: not a storage"),
        ({"PROSPECTRA_LIMITS__STORAGE_URI": "127.0.0.1:6379"}, "limits.storage_uri: not a storage"),
        ({"PROSPECTRA_LIMITS__STORAGE_URI": ""}, "limits.storage_uri: not a storage"),
        # The Redis session store's URL (redis-py stopped start with a traceback).
        ({"PROSPECTRA_SESSION__STORE": "redis", "PROSPECTRA_SESSION__REDIS_URL": "127.0.0.1:6379"}, "session.redis_url: not a Redis URL"),
        ({"PROSPECTRA_SESSION__STORE": "redis", "PROSPECTRA_SESSION__REDIS_URL": "http://127.0.0.1:6379"}, "session.redis_url: not a Redis URL"),
        # What redis-py would only trip over later: a traceback at start, or database 0 in silence.
        ({"PROSPECTRA_SESSION__STORE": "redis", "PROSPECTRA_SESSION__REDIS_URL": "redis://127.0.0.1:abc/0"}, "session.redis_url: not a Redis URL"),
        ({"PROSPECTRA_SESSION__STORE": "redis", "PROSPECTRA_SESSION__REDIS_URL": "redis://127.0.0.1:99999/0"}, "session.redis_url: not a Redis URL"),
        ({"PROSPECTRA_SESSION__STORE": "redis", "PROSPECTRA_SESSION__REDIS_URL": "redis://127.0.0.1:6379/sessions"}, "session.redis_url: not a Redis URL"),
        ({"PROSPECTRA_SESSION__STORE": "redis", "PROSPECTRA_SESSION__REDIS_URL": "redis://127.0.0.1;x:6379/0"}, "session.redis_url: not a Redis URL"),
        ({"PROSPECTRA_SESSION__STORE": "redis", "PROSPECTRA_SESSION__REDIS_URL": "redis://127.0.0.1:6379/0 "}, "session.redis_url: not a Redis URL"),
        ({"PROSPECTRA_SESSION__STORE": "redis", "PROSPECTRA_SESSION__REDIS_URL": "redis://"}, "session.redis_url: not a Redis URL"),
        ({"PROSPECTRA_SESSION__STORE": "redis", "PROSPECTRA_SESSION__REDIS_URL": "unix://"}, "session.redis_url: not a Redis URL"),
        ({"PROSPECTRA_LIMITS__STORAGE_URI": "memory://counters"}, "limits.storage_uri: not a storage"),
        ({"PROSPECTRA_LIMITS__STORAGE_URI": "redis+unix://"}, "limits.storage_uri: not a storage"),
        ({"PROSPECTRA_APP__INSTANCE_PATH": "relative/dir"}, "app.instance_path: must be an absolute"),
        ({"PROSPECTRA_CONFIG": "/nonexistent/prospectra.toml"}, "PROSPECTRA_CONFIG: cannot read"),
    ],
)  # fmt: skip
def test_invalid_setting_stops_start_with_a_message_naming_the_key(environ, message):
    with pytest.raises(ConfigError) as error:
        load_settings(environ=environ)
    assert message in str(error.value)
    assert "\n" not in str(error.value)


@pytest.mark.parametrize(
    "environ",
    [
        {"PROSPECTRA_SESSION__STORE": "redis", "PROSPECTRA_SESSION__REDIS_URL": "redis://:secret@localhost:6379/2"},
        {"PROSPECTRA_SESSION__STORE": "redis", "PROSPECTRA_SESSION__REDIS_URL": "rediss://[::1]:6380"},
        {"PROSPECTRA_SESSION__STORE": "redis", "PROSPECTRA_SESSION__REDIS_URL": "unix:///run/redis/redis.sock?db=1"},
        {"PROSPECTRA_LIMITS__STORAGE_URI": "redis+unix:///run/redis/redis.sock"},
        {"PROSPECTRA_LIMITS__STORAGE_URI": "redis://redis.internal:6379/"},
    ],
)  # fmt: skip
def test_redis_urls_as_ops_write_them_are_accepted(environ):
    load_settings(environ=environ)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"cookies": {"relaxed": True}}, "cookies.relaxed: refused in production"),
        ({"service": {"domain": "localhost"}}, "service.domain: set the public domain"),
    ],
)
def test_production_refuses_development_conveniences(overrides, message):
    production = {"app": {"environment": "production", "secret_key": "x" * 32}}
    production["service"] = {"domain": "app.prospectra.eu"}
    for table, values in overrides.items():
        production.setdefault(table, {}).update(values)
    with pytest.raises(ConfigError, match=message):
        load_settings(production, environ={})


def test_wrong_type_in_the_config_file_names_the_key(tmp_path):
    path = tmp_path / "site.toml"
    path.write_text('[session]\nidle_timeout_minutes = "thirty"\n')
    with pytest.raises(ConfigError, match="session.idle_timeout_minutes: expected an integer"):
        load_settings(environ={"PROSPECTRA_CONFIG": str(path)})


def test_development_creates_a_secret_key_once_and_keeps_it(tmp_path):
    settings = {"app": {"instance_path": str(tmp_path)}}
    first = create_app(settings, testing=True).secret_key
    second = create_app(settings, testing=True).secret_key
    assert first == second and len(first) >= 32
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600


def test_configured_secret_key_is_used(tmp_path):
    key = "k" * 40
    app = create_app({"app": {"instance_path": str(tmp_path), "secret_key": key}}, testing=True)
    assert app.secret_key == key
    assert not (tmp_path / "secret_key").exists()


def test_starting_with_a_bad_setting_prints_one_line_and_exits(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "PROSPECTRA_SESSION__STORE": "floppy"}
    result = subprocess.run(
        [sys.executable, "-c", "import wsgi"],
        cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "prospectra: configuration error: session.store: must be one of 'sqlalchemy', 'redis'"
    ]


@pytest.mark.parametrize(
    "path",
    sorted(p for p in (PROJECT_ROOT / "config").glob("*.toml") if p.name != "default.toml"),
    ids=lambda p: p.name,
)
def test_every_example_config_file_loads_with_the_secrets_it_asks_for(path):
    settings = load_settings(
        environ={
            "PROSPECTRA_CONFIG": str(path),
            "PROSPECTRA_APP__SECRET_KEY": "s" * 48,
            "PROSPECTRA_MAIL__ENCRYPTION_KEY": Fernet.generate_key().decode(),
        }
    )
    with path.open("rb") as file:
        written = tomllib.load(file)
    for table, values in written.items():
        for key, value in values.items():
            assert settings[table][key] == value, f"{table}.{key}"


def test_a_missing_default_file_is_named_as_the_package_s_own(monkeypatch, tmp_path):
    from prospectra import config

    monkeypatch.setattr(config, "DEFAULT_FILE", tmp_path / "default.toml")
    with pytest.raises(ConfigError) as error:
        load_settings(environ={"PROSPECTRA_CONFIG": str(tmp_path / "site.toml")})
    message = str(error.value)
    assert message.startswith(f"the package's own settings file {tmp_path / 'default.toml'}")
    assert "PROSPECTRA_CONFIG" not in message and "\n" not in message


@pytest.mark.parametrize("checkout", [True, False], ids=["checkout", "installed"])
def test_the_default_instance_folder(monkeypatch, tmp_path, checkout):
    from prospectra import config
    from prospectra import paths

    root = tmp_path / "root"
    root.mkdir()
    if checkout:
        (root / "pyproject.toml").touch()
    monkeypatch.setattr(paths, "PROJECT_ROOT", root)
    monkeypatch.chdir(tmp_path)
    settings = load_settings(environ={})
    expected = root / "instance" if checkout else tmp_path / "instance"
    assert config.instance_folder(settings) == expected
    if not checkout:  # no folder to fall back on that cron and gunicorn would both find
        with pytest.raises(ConfigError, match=r"^app\.instance_path: required in production"):
            load_settings({"app": {"environment": "production"}}, environ={})
