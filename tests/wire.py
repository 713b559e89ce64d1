"""A minimal HTTP client for a real server behind a (simulated) TLS proxy, one request per connection.

Cookies are kept by hand: a standard cookie jar refuses to send Secure cookies over plain http,
which is exactly what the TLS proxy in front of gunicorn turns a browser's https requests into.
Used by the gunicorn tests and by bench/loadtest.py.
"""

from __future__ import annotations

import http.client
import re
from dataclasses import dataclass
from dataclasses import field
from urllib.parse import urlencode

CSRF_FIELD = re.compile(r'<input[^>]*name="csrf_token"[^>]*value="([^"]+)"')


@dataclass
class Reply:
    status: int
    headers: list[tuple[str, str]]
    body: str

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)

    def set_cookies(self) -> list[str]:
        return [v for k, v in self.headers if k.lower() == "set-cookie"]


@dataclass
class Visitor:
    """One browser: its cookies, its address as the proxy reports it, the public domain."""

    port: int
    domain: str = "app.prospectra.example"
    address: str = "203.0.113.7"
    cookies: dict[str, str] = field(default_factory=dict)
    timeout: float = 30

    def request(self, method: str, path: str, form: dict | None = None) -> Reply:
        headers = {
            "Host": self.domain,
            "X-Forwarded-Proto": "https",
            "X-Forwarded-Host": self.domain,
            "X-Forwarded-For": self.address,
            "Referer": f"https://{self.domain}{path}",
            "Connection": "close",
        }
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            reply = Reply(response.status, response.getheaders(), response.read().decode())
        finally:
            connection.close()
        for header in reply.set_cookies():
            name, _, rest = header.partition("=")
            value = rest.split(";", 1)[0]
            if "max-age=0" in header.lower() or not value:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value
        return reply

    def get(self, path: str) -> Reply:
        return self.request("GET", path)

    def post(self, path: str, form: dict) -> Reply:
        return self.request("POST", path, form)

    def form_token(self, path: str) -> str:
        page = self.get(path)
        match = CSRF_FIELD.search(page.body)
        if page.status != 200 or not match:
            raise AssertionError(f"GET {path}: {page.status}, no form")
        return match.group(1)

    def login(self, email: str, password: str) -> Reply:
        token = self.form_token("/login")
        return self.post("/login", {"csrf_token": token, "email": email, "password": password})

    def logout(self) -> Reply:
        return self.post("/logout", {"csrf_token": self.form_token("/dashboard")})
