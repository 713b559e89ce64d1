"""The deployment the repository ships (deploy/) works as shipped: nginx in front of real gunicorn.

The site file is deploy/nginx/prospectra.conf itself, with only its deployment-specific values
rewritten (ports, certificate, upstream port, static folder), each of which must occur exactly
once: an edit of the shipped file is an edit of what this test serves. nginx runs as a master of
its own (never the system service), gunicorn with production settings and prospectra's own
gunicorn settings (access log format included), and Chromium reaches the site by its name.
"""

from __future__ import annotations

import datetime
import http.client
import os
import re
import runpy
import shlex
import shutil
import socket
import ssl
import subprocess
import sys
import time
import tomllib
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

import prospectra
from prospectra import create_app
from prospectra.accounts import create_user
from prospectra.config import load_settings
from prospectra.extensions import db
from prospectra.paths import PROJECT_ROOT
from tests.browser.conftest import CHROMIUM_FLAGS
from tests.faults import free_port
from tests.helpers import LEGAL_HOSTING
from tests.helpers import LEGAL_SERVICE
from tests.helpers import MAIL_KEY
from tests.helpers import PASSWORD
from tests.helpers import BufferedClient
from tests.served import Gunicorn
from tests.served import environment
from tests.wire import CSRF_FIELD
from tests.wire import Reply

pytestmark = pytest.mark.deployment

DEPLOY = PROJECT_ROOT / "deploy"
SITE = DEPLOY / "nginx" / "prospectra.conf"
NGINX = Path("/usr/sbin/nginx")
DOMAIN = "app.prospectra.example"
STATIC = Path(prospectra.__file__).parent / "static"
EMAIL = "ada@example.org"
# What nginx adds to its own answers: the app's headers (test_readme_proxy.py holds the values).
FALLBACKS = {
    "content-security-policy": "default-src 'none'; frame-ancestors 'none'; base-uri 'none'",
    "strict-transport-security": "max-age=63072000; includeSubDomains",
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "strict-origin-when-cross-origin",
}
# Headers of a static file that say how to cache or represent it, not how to protect it.
REPRESENTATION = {"content-disposition", "content-type", "content-length", "last-modified",
                  "cache-control", "expires", "etag", "date", "accept-ranges", "vary", "server",
                  "connection", "keep-alive"}  # fmt: skip


def ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


LOG_LINE = "access_log /var/log/nginx/prospectra.access.log prospectra;"  # once per server


def site(http: int, https: int, upstream: int, cert: Path, key: Path, log: Path) -> str:
    """The shipped site with its deployment-specific values replaced, each found exactly once."""
    v6 = ipv6_loopback()

    def listen6(port: int, rest: str) -> str:
        return f"listen [::1]:{port}{rest};" if v6 else "# no IPv6 loopback here"

    replacements = {
        "listen 80 default_server;": f"listen 127.0.0.1:{http} default_server;",
        "listen [::]:80 default_server;": listen6(http, " default_server"),
        "listen 443 ssl http2 default_server;": f"listen 127.0.0.1:{https} ssl http2 default_server;",
        "listen [::]:443 ssl http2 default_server;": listen6(https, " ssl http2 default_server"),
        "listen 80;": f"listen 127.0.0.1:{http};",
        "listen [::]:80;": listen6(http, ""),
        "listen 443 ssl http2;": f"listen 127.0.0.1:{https} ssl http2;",
        "listen [::]:443 ssl http2;": listen6(https, " ssl http2"),
        "return 301 https://$host$request_uri;": f"return 301 https://$host:{https}$request_uri;",
        "server 127.0.0.1:8000;": f"server 127.0.0.1:{upstream};",
        "ssl_certificate /etc/ssl/certs/app.prospectra.example.pem;": f"ssl_certificate {cert};",
        "ssl_certificate_key /etc/ssl/private/app.prospectra.example.key;": f"ssl_certificate_key {key};",
        "alias /opt/prospectra/venv/lib/python3.11/site-packages/prospectra/static/;": f"alias {STATIC}/;",
    }  # fmt: skip
    text = SITE.read_text()
    assert text.count(LOG_LINE) == text.count("server {") == 3
    text = text.replace(LOG_LINE, f"access_log {log} prospectra;")
    for shipped, here in replacements.items():
        assert text.count(shipped) == 1, f"{SITE.name}: {shipped!r} is not there exactly once"
        text = text.replace(shipped, here)
    return text


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A throwaway certificate for DOMAIN (and its key), as the site's ssl_certificate expects."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, DOMAIN)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(DOMAIN)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


class Nginx:
    """nginx serving ``site`` from ``folder``: its own master in the foreground, all files there."""

    def __init__(self, folder: Path, site_text: str, https: int) -> None:
        self.folder, self.https = folder, https
        (folder / "prospectra.conf").write_text(site_text)
        temp = " ".join(
            f"{kind}_temp_path {folder / kind};"
            for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        )
        # As root, nginx's workers would otherwise run as nobody, who may not read the checkout.
        user = "user root;" if os.geteuid() == 0 else ""
        (folder / "nginx.conf").write_text(
            f"{user} worker_processes 1; pid {folder / 'nginx.pid'};\n"
            "events { worker_connections 64; }\n"
            "http { include /etc/nginx/mime.types; default_type application/octet-stream;\n"
            # As Debian's nginx.conf: a combined-format log for every site, which the site's
            # own access_log lines must replace.
            f"  access_log {folder / 'access.log'}; {temp}\n"
            f"  include {folder / 'prospectra.conf'}; }}\n"
        )
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        errors = self.folder / "error.log"
        self.process = subprocess.Popen(
            [str(NGINX), "-p", str(self.folder), "-c", str(self.folder / "nginx.conf"),
             "-e", str(errors), "-g", "daemon off;"],
        )  # fmt: skip
        deadline = time.monotonic() + 10
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"nginx exited: {errors.read_text()}")
            try:
                socket.create_connection(("127.0.0.1", self.https), timeout=1).close()
                return
            except OSError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"nginx did not listen: {errors.read_text()}") from None
                time.sleep(0.05)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()  # the master stops its worker, then exits
            self.process.wait(timeout=10)


class TlsClient:
    """A client of the site from a loopback address of its own, keeping its cookies by hand."""

    def __init__(self, port: int, cafile: Path, source: str) -> None:
        self.port, self.source = port, source
        self.context = ssl.create_default_context(cafile=str(cafile))
        self.origin = f"https://{DOMAIN}:{port}"
        self.cookies: dict[str, str] = {}

    def request(
        self, method: str, path: str, body: bytes | None = None, headers: dict | None = None
    ) -> Reply:
        raw = socket.create_connection(("127.0.0.1", self.port), 10, (self.source, 0))
        connection = http.client.HTTPConnection(DOMAIN, self.port)
        connection.sock = self.context.wrap_socket(raw, server_hostname=DOMAIN)
        sent = {"Referer": f"{self.origin}{path}", "Connection": "close"} | (headers or {})
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        try:
            connection.request(method, path, body=body, headers=sent)
            response = connection.getresponse()
            reply = Reply(response.status, response.getheaders(), response.read().decode())
        finally:
            connection.close()
        for header in reply.set_cookies():
            name, _, rest = header.partition("=")
            self.cookies[name] = rest.split(";", 1)[0]
        return reply

    def login(self, password: str, headers: dict | None = None) -> Reply:
        token = CSRF_FIELD.search(self.request("GET", "/login").body).group(1)
        form = urlencode({"csrf_token": token, "email": EMAIL, "password": password}).encode()
        return self.request(
            "POST", "/login", form,
            {"Content-Type": "application/x-www-form-urlencoded", "Origin": self.origin}
            | (headers or {}),
        )  # fmt: skip


def values(headers, name: str) -> list[str]:
    """Every value of header ``name`` (a list of pairs: repeated headers stay apart)."""
    return [v for k, v in headers if k.lower() == name]


def received(response) -> list[tuple[str, str]]:
    """The headers of a response Chromium received, as pairs, repeated ones apart."""
    return [(h["name"], h["value"]) for h in response.headers_array()]


def assert_fallbacks_once(headers) -> None:
    for name, value in FALLBACKS.items():
        assert values(headers, name) == [value], name


@pytest.fixture(scope="module")
def deployment(tmp_path_factory) -> Iterator[dict]:
    """The shipped site on free ports, in front of gunicorn in production; one account."""
    if not NGINX.exists():
        if os.environ.get("CI") == "true":
            pytest.fail("Debian's nginx is not installed (make test installs it with apt)")
        pytest.skip("Debian's nginx is not installed (/usr/sbin/nginx): `make system-packages`")
    folder = tmp_path_factory.mktemp("deployment")
    http, https = free_port(), free_port()
    settings = {
        "app": {"environment": "production", "secret_key": "d" * 48,
                "instance_path": str(folder / "instance")},
        "service": {"domain": DOMAIN, "public_port": https, **LEGAL_SERVICE}, "hosting": LEGAL_HOSTING,
        "mail": {"encryption_key": MAIL_KEY},
        "proxy": {"x_for": 1, "x_proto": 1, "x_host": 1},
        # Few wrong passwords per address, many per account: the address is what is tested.
        "limits": {"login_per_address": "3 per minute", "login_per_account": "1000 per minute"},
    }  # fmt: skip
    app = create_app(settings, testing=True)
    app.test_client_class = BufferedClient
    with app.app_context():
        create_user(EMAIL, PASSWORD)
        db.engine.dispose()
    gunicorn = Gunicorn(settings, folder / "gunicorn.log", workers=1, access_format=None)
    cert, key = self_signed(folder)
    nginx = Nginx(folder, site(http, https, gunicorn.port, cert, key, folder / "site.log"), https)
    try:
        gunicorn.start()
        nginx.start()
        yield {"app": app, "gunicorn": gunicorn, "nginx": nginx, "http": http, "https": https,
               "cert": cert, "settings": settings}  # fmt: skip
    finally:
        nginx.stop()
        gunicorn.stop()


@pytest.fixture(scope="module")
def chromium():
    from playwright.sync_api import sync_playwright

    executable = shutil.which("chromium") or "/usr/bin/chromium"
    if not shutil.which(executable):
        pytest.fail("Debian's chromium is not installed (make test installs it with apt)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable, headless=True,
            args=[*CHROMIUM_FLAGS, f"--host-resolver-rules=MAP {DOMAIN} 127.0.0.1"],
        )  # fmt: skip
        yield browser
        browser.close()


@pytest.fixture
def page(chromium):
    context = chromium.new_context(ignore_https_errors=True)  # the certificate is self-signed
    yield context.new_page()
    context.close()


@pytest.mark.browser
def test_a_browser_is_sent_to_https_logs_in_and_holds_only_the_two_host_cookies(deployment, page):
    http, https = deployment["http"], deployment["https"]
    landed = page.goto(f"http://{DOMAIN}:{http}/login")
    assert page.url == f"https://{DOMAIN}:{https}/login"
    redirect = landed.request.redirected_from.response()
    assert redirect.status == 301 and redirect.url == f"http://{DOMAIN}:{http}/login"
    assert_fallbacks_once(received(redirect))
    login_page = received(landed)
    assert len(values(login_page, "strict-transport-security")) == 1
    assert len(values(login_page, "content-security-policy")) == 1
    assert values(login_page, "server") == ["nginx"]  # server_tokens off

    page.fill("input[name=email]", EMAIL)
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation() as navigation:
        page.click("button[type=submit]")
    assert page.url == f"https://{DOMAIN}:{https}/dashboard"
    dashboard = received(navigation.value)
    assert len(values(dashboard, "content-security-policy")) == 1

    cookies = {c["name"]: c for c in page.context.cookies()}
    assert set(cookies) == {"__Host-session", "__Host-csrf"}
    for cookie in cookies.values():
        assert cookie["secure"] and cookie["httpOnly"], cookie["name"]
        assert cookie["path"] == "/" and cookie["sameSite"] == "Lax", cookie["name"]
        assert cookie["domain"] == DOMAIN and cookie["expires"] == -1, cookie["name"]


@pytest.mark.browser
def test_static_files_come_from_nginx_with_the_apps_headers_and_cache(deployment, page):
    https, client = deployment["https"], deployment["app"].test_client()
    with page.expect_response(re.compile(r"/static/style\.css\?v=")) as served:
        page.goto(f"https://{DOMAIN}:{https}/")
    response = served.value
    assert response.status == 200 and response.body() == (STATIC / "style.css").read_bytes()
    headers = received(response)
    assert values(headers, "server") == ["nginx"]
    url = response.url.removeprefix(f"https://{DOMAIN}:{https}")
    app = client.get(url, base_url=f"https://{DOMAIN}")
    assert values(headers, "cache-control") == app.headers.getlist("cache-control")  # a year
    protecting = {k.lower() for k in app.headers.keys()} - REPRESENTATION
    assert protecting >= set(FALLBACKS)
    for name in protecting:
        assert values(headers, name) == app.headers.getlist(name), name

    unversioned = TlsClient(https, deployment["cert"], "127.0.0.1").request("GET", "/static/app.js")
    app = client.get("/static/app.js", base_url=f"https://{DOMAIN}")
    assert values(unversioned.headers, "cache-control") == ["no-cache"]
    assert app.headers.getlist("cache-control") == ["no-cache"]

    log = deployment["gunicorn"].log.read_text()
    assert " /healthz " in log and "/static/" not in log  # gunicorn never saw them


def test_nginx_logs_what_the_privacy_policy_says_and_nothing_more(deployment, page):
    https = deployment["https"]
    page.goto(f"https://{DOMAIN}:{https}/legal/cookies?lang=fr")  # a query string, a Referer
    folder = deployment["nginx"].folder
    lines = (folder / "site.log").read_text().splitlines()
    static = [line for line in lines if "/static/style.css" in line]
    assert static, lines
    # client - - [time] "GET /path HTTP/x" status bytes Ns "user agent": no query, no Referer.
    assert re.fullmatch(
        r'127\.0\.0\.1 - - \[[^]]+\] "GET /static/style\.css HTTP/[\d.]+" \d{3} \d+ '
        r'[\d.]+s "[^"]*Chrome[^"]*"',
        static[-1],
    ), static[-1]
    text = "\n".join(lines)
    assert "?" not in text and "lang=fr" not in text and f"{DOMAIN}:{https}/" not in text
    assert (folder / "access.log").read_text() == ""  # Debian's combined log: replaced


def test_the_app_sees_and_throttles_the_clients_own_address(deployment):
    https, cafile = deployment["https"], deployment["cert"]
    far = TlsClient(https, cafile, "127.0.0.2")
    assert [far.login("wrong password").status for _ in range(3)] == [200, 200, 200]
    assert far.login(PASSWORD).status == 429  # past 3 per minute: not even checked
    spoofed = far.login(PASSWORD, {"X-Forwarded-For": "198.51.100.1"})
    assert spoofed.status == 429  # the address nginx saw counts, not one the client wrote

    other = TlsClient(https, cafile, "127.0.0.3")
    assert other.login(PASSWORD).status == 303

    # gunicorn's production format: client - - [time] "POST /login HTTP/1.0" status bytes Nms "agent"
    log = deployment["gunicorn"].log.read_text()
    posts = re.findall(r'^(\S+) - - \[[^]]+\] "POST /login HTTP/1.0" (\d+) ', log, re.M)
    assert posts[-6:] == [("127.0.0.2", "200")] * 3 + [("127.0.0.2", "429")] * 2 + [
        ("127.0.0.3", "303")
    ]


def test_other_host_names_are_refused(deployment):
    with pytest.raises((http.client.RemoteDisconnected, ConnectionResetError)):
        connection = http.client.HTTPConnection("127.0.0.1", deployment["http"], timeout=5)
        connection.request("GET", "/login", headers={"Host": "evil.example"})
        connection.getresponse()  # 444: closed without an answer
    connection.close()
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    for name in ("evil.example", None):  # another name, or none (an address)
        with socket.create_connection(("127.0.0.1", deployment["https"]), 5) as raw:
            with pytest.raises(ssl.SSLError, match="UNRECOGNIZED_NAME|unrecognized name"):
                context.wrap_socket(raw, server_hostname=name)


def test_a_body_larger_than_the_app_accepts_gets_nginxs_413_with_the_headers(deployment):
    client = TlsClient(deployment["https"], deployment["cert"], "127.0.0.1")
    kb = load_settings()["security"]["max_request_kb"]
    reply = client.request("POST", "/login", b"x" * (kb * 1024 + 1))
    assert reply.status == 413 and "nginx" in reply.body
    assert_fallbacks_once(reply.headers)


# The shipped files agree with the app's settings and commands.


def test_the_sites_limits_and_upstream_follow_the_apps_settings(monkeypatch):
    text, defaults = SITE.read_text(), load_settings()
    monkeypatch.delenv("GUNICORN_BIND", raising=False)
    bind = runpy.run_module("prospectra.gunicorn_conf")["bind"]
    assert re.findall(r"^\s*server (\S+);$", text, re.M) == [bind]
    body = re.search(r"^\s*client_max_body_size (\d+)k;$", text, re.M)
    assert int(body.group(1)) == defaults["security"]["max_request_kb"]
    read = re.search(r"^\s*proxy_read_timeout (\d+)s;$", text, re.M)
    assert 0 < int(read.group(1)) - defaults["server"]["worker_timeout_seconds"] <= 10


def test_the_environment_file_names_real_settings():
    example = (DEPLOY / "prospectra.env.example").read_text()
    names = re.findall(r"^#?(PROSPECTRA_\w+)=", example, re.M)
    defaults = load_settings()
    for name in names:
        if name != "PROSPECTRA_CONFIG":
            table, key = name.removeprefix("PROSPECTRA_").lower().split("__")
            assert key in defaults[table], name
    assert {"PROSPECTRA_CONFIG", "PROSPECTRA_APP__SECRET_KEY",
            "PROSPECTRA_MAIL__ENCRYPTION_KEY"} <= set(names)  # fmt: skip
    assert re.search(r"^GUNICORN_BIND=127\.0\.0\.1:8000$", example, re.M)  # the site's upstream


def test_the_cron_lines_run_in_production_with_the_environment_file(deployment, tmp_path):
    """Each line of deploy/cron/prospectra, run by sh as cron would, loading the example environment
    file filled in: the commands exist and run as production, on the instance gunicorn serves."""
    settings = environment(deployment["settings"])
    secrets = {"PROSPECTRA_APP__SECRET_KEY", "PROSPECTRA_MAIL__ENCRYPTION_KEY"}
    example = (DEPLOY / "prospectra.env.example").read_text()
    for name in secrets:
        assert example.count(f"\n{name}=\n") == 1, name
        example = example.replace(f"\n{name}=\n", f"\n{name}={settings[name]}\n")
    (tmp_path / "prospectra.toml").write_text(
        "# this test's settings are in the environment file\n"
    )
    example = example.replace(
        "PROSPECTRA_CONFIG=/etc/prospectra/prospectra.toml",
        f"PROSPECTRA_CONFIG={tmp_path}/prospectra.toml",
    )
    others = [  # quoted for sh: the legal mentions have spaces and apostrophes
        f"{k}={shlex.quote(v)}"
        for k, v in settings.items()
        if k.startswith("PROSPECTRA_") and k not in secrets
    ]
    (tmp_path / "prospectra.env").write_text(example + "\n".join(others) + "\n")
    bin_folder = tmp_path / "bin"  # logger, standing in for syslog
    bin_folder.mkdir()
    (bin_folder / "logger").write_text(f"#!/bin/sh\ncat >> {tmp_path / 'syslog'}\n")
    (bin_folder / "logger").chmod(0o755)

    text = (DEPLOY / "cron" / "prospectra").read_text()
    lines = [line for line in text.splitlines() if re.match(r"[\d*]", line)]
    assert len(lines) == 3
    here = {
        "/etc/prospectra/prospectra.env": tmp_path / "prospectra.env",
        "/opt/prospectra/venv/bin/flask": Path(sys.executable).parent / "flask",
    }
    for line in lines:
        *_, user, command = line.split(maxsplit=6)
        assert user == "prospectra", line
        for shipped, local in here.items():
            assert command.count(shipped) == 1, (shipped, line)
            command = command.replace(shipped, str(local))
        path = f"{bin_folder}:/usr/bin:/bin"  # the cron file's PATH, and the stand-in logger
        subprocess.run(["/bin/sh", "-c", command], env={"PATH": path, "HOME": str(tmp_path)},
                       check=True, timeout=60)  # fmt: skip
    log = (tmp_path / "syslog").read_text()
    assert log.count("prospectra: production, database sqlite") == 3, log
    for done in ("expired session record(s)", "consent record(s) older than",
                 "daily count(s) older than"):  # fmt: skip
        assert re.search(rf"^Deleted \d+ {re.escape(done)}", log, re.M), log


def test_the_systemd_unit_is_valid(tmp_path):
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed")
    unit = (DEPLOY / "systemd" / "prospectra.service").read_text()
    command = "ExecStart=/opt/prospectra/venv/bin/gunicorn -c python:prospectra.gunicorn_conf prospectra.wsgi:app"
    assert unit.count(command) == 1
    # The one path that exists only on a server: the virtualenv's gunicorn.
    here = command.replace(
        "/opt/prospectra/venv/bin/gunicorn", str(Path(sys.executable).parent / "gunicorn")
    )
    (tmp_path / "prospectra.service").write_text(unit.replace(command, here))
    result = subprocess.run([analyze, "verify", str(tmp_path / "prospectra.service")],
                            capture_output=True, text=True)  # fmt: skip
    assert result.returncode == 0 and result.stderr == "", result.stderr
    # The instance folder of the production example is the unit's state folder.
    state = re.search(r"^StateDirectory=(\S+)$", unit, re.M).group(1)
    example = tomllib.loads((PROJECT_ROOT / "config" / "production.example.toml").read_text())
    assert example["app"]["instance_path"] == f"/var/lib/{state}"
    assert f"ReadWritePaths=/var/lib/{state}\n" in unit
    assert "EnvironmentFile=/etc/prospectra/prospectra.env\n" in unit  # what the cron lines load


def test_nginxs_own_error_page_carries_the_headers_once(deployment):
    """Last: it stops gunicorn."""
    client = TlsClient(deployment["https"], deployment["cert"], "127.0.0.1")
    page = client.request("GET", "/login")
    assert page.status == 200 and len(values(page.headers, "content-security-policy")) == 1
    deployment["gunicorn"].stop()
    reply = client.request("GET", "/login")
    assert reply.status == 502 and "nginx" in reply.body
    assert_fallbacks_once(reply.headers)
