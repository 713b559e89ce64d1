"""Hostile relays and a fake resolver, for the relay's network and deadline tests.

- :class:`ScriptedPeer`: a TCP listener on 127.0.0.1 that plays a script to each connection (a
  non-SMTP greeting, a greeting dripped a byte at a time, silence until released).
- :class:`FakeResolver`: stands in for ``prospectra.mail.network.resolve``; it answers from a
  table, counts the questions and can give another answer the second time (DNS rebinding).
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable


class ScriptedPeer:
    """Accepts connections on 127.0.0.1 and runs ``script(connection)`` for each, in a thread;
    ``connections`` counts them and ``connected`` is set at the first."""

    def __init__(self, script: Callable[[socket.socket], None]) -> None:
        self.script = script
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.connections = 0
        self.connected = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return  # closed by __exit__
            self.connections += 1
            self.connected.set()
            threading.Thread(target=self._run, args=(connection,), daemon=True).start()

    def _run(self, connection: socket.socket) -> None:
        with connection:
            try:
                self.script(connection)
            except OSError:
                pass  # the app hung up, as it should at its deadline

    def __enter__(self) -> ScriptedPeer:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.listener.close()


def says(line: bytes, then_wait: float = 5.0) -> Callable[[socket.socket], None]:
    """A script: send ``line`` at once, then keep the connection open a while."""

    def script(connection: socket.socket) -> None:
        connection.sendall(line)
        time.sleep(then_wait)

    return script


def drips(data: bytes, every: float) -> Callable[[socket.socket], None]:
    """A script: send ``data`` one byte every ``every`` seconds (each read is quick, the whole
    is not)."""

    def script(connection: socket.socket) -> None:
        for byte in data:
            connection.sendall(bytes([byte]))
            time.sleep(every)

    return script


class FakeResolver:
    """``resolve(host, port)`` from a table of host -> addresses (or a list of answers, one per
    question, the last repeated); ``calls`` lists the questions. ``delay`` seconds per answer."""

    def __init__(self, table: dict[str, list[str] | list[list[str]]], delay: float = 0) -> None:
        self.table, self.delay = table, delay
        self.calls: list[tuple[str, int]] = []

    def __call__(self, host: str, port: int) -> list[str]:
        self.calls.append((host, port))
        if self.delay:
            time.sleep(self.delay)
        if host not in self.table:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        answers = self.table[host]
        if answers and isinstance(answers[0], list):
            asked = sum(1 for h, _ in self.calls if h == host)
            return list(answers[min(asked, len(answers)) - 1])
        return list(answers)  # type: ignore[arg-type]
