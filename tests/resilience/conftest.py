"""Live servers for the garbage-input tests, and a raw HTTP/1.1 client that can send what no library sends.

* ``garbage_server``: the Rasa server and the action server with every channel on (the same test credentials
  and loopback platform fakes as tests/channels), REST served by ``bot.channels.rest.RestInput``, on a database
  of its own; it exposes the Rasa server's pid so that its memory can be read.
* ``garbage_console``: the staff console (``python -m bot.console``) on a database of its own, one admin.
* ``send``: one request on a fresh connection, built byte by byte (lying or malformed Content-Length, raw
  bytes in the request target, headers of any size); the answer's status, headers and body.
"""

from __future__ import annotations

import select
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from bot.console.accounts import create_staff
from bot.server import HOST
from tests.channels.conftest import live_channels
from tests.console.conftest import running_console

CONSOLE_ADMIN = ("garbage-admin", "garbage-admin-password-1")


# --- the raw client ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    """What the server sent back; ``status`` None: it closed the connection without an answer."""

    status: int | None
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""

    def header(self, name: str) -> str:
        return self.headers.get(name.lower(), "")


def _parse_answer(raw: bytes) -> Answer:
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ")
    if len(parts) < 2 or not parts[0].startswith("HTTP/") or not parts[1].isdigit():
        return Answer(None, {}, raw)
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = headers.get("content-length", "")
    if length.isdigit():
        body = body[:int(length)]
    return Answer(int(parts[1]), headers, body)


def send(port: int, method: str, target: str | bytes, body: bytes = b"", headers: dict[str, str] | None = None,
         *, content_length: str | None = "auto", head_first: bool = False, timeout: float = 30.0,
         linger: float | None = None) -> Answer:
    """One request with ``Connection: close`` on a new connection to 127.0.0.1:``port``.

    ``content_length``: "auto" (the body's length), None (no header) or the literal value to declare.
    ``head_first``: send the head, give the server 0.5 s to answer before the body arrives (it refuses an
    oversized declared length that way; otherwise the body is sent), then read. ``linger``: send everything
    and wait at most this long for an answer, then give up (for bodies that never arrive in full).
    """
    lines = [method.encode() + b" " + (target if isinstance(target, bytes) else target.encode()) + b" HTTP/1.1",
             f"Host: {HOST}:{port}".encode(), b"Connection: close"]
    if content_length == "auto":
        lines.append(f"Content-Length: {len(body)}".encode())
    elif content_length is not None:
        lines.append(f"Content-Length: {content_length}".encode())
    lines += [f"{name}: {value}".encode("utf-8", "surrogateescape") for name, value in (headers or {}).items()]
    head = b"\r\n".join(lines) + b"\r\n\r\n"
    with socket.create_connection((HOST, port), timeout=timeout) as connection:
        try:
            if head_first:
                connection.sendall(head)
                if not select.select([connection], [], [], 0.5)[0]:
                    connection.sendall(body)
            else:
                connection.sendall(head + body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server refused the rest of the body: its answer may be waiting anyway
        if linger is not None:
            connection.settimeout(linger)
        chunks: list[bytes] = []
        while True:
            try:
                chunk = connection.recv(65536)
            except (ConnectionResetError, TimeoutError):
                break
            if not chunk:
                break
            chunks.append(chunk)
    return _parse_answer(b"".join(chunks)) if chunks else Answer(None)


def rss_kb(pid: int) -> int:
    """VmRSS of a process, in kB (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for pid {pid}")


# --- the assistant -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GarbageServer:
    port: int
    rasa_pid: int
    database_url: str

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}"


@pytest.fixture(scope="session")
def garbage_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GarbageServer]:
    """The assistant with every channel on, REST checked by bot.channels.rest, on its own SQLite database."""
    database_url = f"sqlite:///{tmp_path_factory.mktemp('garbage') / 'garbage.db'}"
    with live_channels(database_url) as (rasa_port, processes, _, _):
        yield GarbageServer(rasa_port, processes[1].pid, database_url)


# --- the console -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GarbageConsole:
    port: int
    pid: int
    database_url: str

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}"


@pytest.fixture(scope="session")
def garbage_console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GarbageConsole]:
    database_url = f"sqlite:///{tmp_path_factory.mktemp('garbage-console') / 'console.db'}"
    create_staff(database_url, CONSOLE_ADMIN[0], "admin", CONSOLE_ADMIN[1])
    with running_console(database_url) as (port, process):
        yield GarbageConsole(port, process.pid, database_url)
