"""A guard against malformed HTTP framing, for every Sanic app of the project (Sanic 21.12 mishandles it).

Sanic reads ``Content-Length`` with ``int()``: "-5" is accepted and the body is then read in an endless busy
loop that stops the whole server (one 60-byte request is enough); "abc" or "5, 5" give a 500, as does a
Transfer-Encoding other than "chunked" without a Content-Length. ``install_framing_guard`` hooks
``refuse_bad_framing`` into Sanic's ``http.lifecycle.read_head`` signal, which Sanic dispatches inside its
header parser's ``try``: an exception there becomes Sanic's own 400 Bad Request, before any route runs.

Used by the console (``bot.console.web.app``) and by the Rasa server through the REST channel
(``bot.channels.rest``); this module imports nothing heavy, so both can use it.
"""

from __future__ import annotations

import re
from typing import Any, Protocol

_CONTENT_LENGTH = re.compile(rb"[0-9]{1,18}")


class SignalTarget(Protocol):
    """A Sanic app or blueprint (a blueprint's signals are never exclusive to it: they see every request)."""

    def signal(self, event: str) -> Any: ...


def refuse_bad_framing(head: bytes) -> None:
    """Raise ValueError for a request head Sanic 21.12 would mishandle.

    Refused: a Content-Length that is not 1–18 plain digits, more than one Content-Length, Content-Length
    together with Transfer-Encoding (request smuggling), and any Transfer-Encoding but exactly "chunked".
    """
    lengths: list[bytes] = []
    encodings: list[bytes] = []
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        name = name.lower()  # like Sanic: no stripping, "content-length :" is some other header
        if name == b"content-length":
            lengths.append(value.strip(b" \t"))
        elif name == b"transfer-encoding":
            encodings.append(value.lstrip(b" \t"))
    if len(lengths) > 1 or any(not _CONTENT_LENGTH.fullmatch(length) for length in lengths):
        raise ValueError("malformed Content-Length")
    if encodings and (lengths or encodings != [b"chunked"]):
        raise ValueError("unsupported Transfer-Encoding")


async def _on_read_head(head: bytes, **_: Any) -> None:
    refuse_bad_framing(head)


def install_framing_guard(target: SignalTarget) -> None:
    """Check the head of every request the app (or the app ``target`` is registered on) reads."""
    target.signal("http.lifecycle.read_head")(_on_read_head)
