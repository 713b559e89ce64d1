"""The yardstick: a bare Flask app (no extension) rendering a Jinja page of a requested size.

``GET /page/<size>`` renders a layout and a child template (a loop over rows, a table), padded to
exactly ``size`` bytes, so each of Prospectra's pages is compared with a bare page of its size.
"""

from __future__ import annotations

from functools import cache

from flask import Flask
from flask import render_template

app = Flask(__name__)
ROW = "Prospectra keeps only the two cookies it needs; nothing else is stored in your browser."


@cache
def _content(size: int) -> tuple[list[str], str]:
    empty = len(render_template("bare_page.html", rows=[], padding="").encode())
    per_row = len(f"<tr><td>0</td><td>{ROW}</td></tr>\n".encode())
    count = max(0, (size - empty) // (per_row + 1))
    rows = [ROW] * count
    used = len(render_template("bare_page.html", rows=rows, padding="").encode())
    return rows, "x" * max(0, size - used)


@app.get("/page/<int:size>")
def page(size: int):
    rows, padding = _content(size)
    return render_template("bare_page.html", rows=rows, padding=padding)


@app.get("/healthz")
def healthz():
    return "ok"
