"""Calls to the action server over kept-alive connections.

Rasa 3.6's ``EndpointConfig.request`` opens a new aiohttp ``ClientSession`` for every call, so every action a
turn runs costs a new TCP connection, a new connector and their teardown, on both servers (about a tenth of the
Rasa server's CPU per turn, measured with py-spy). ``install()`` replaces it with the same request (same headers,
parameters, auth, errors and result) sent through one session per event loop, which keeps connections open for
``KEEP_ALIVE_SECONDS``: shorter than the 5 s after which the action server (Sanic) closes an idle connection, so a
request is not sent on a connection the server is closing. The request body (the whole tracker) is encoded with
ujson (already a dependency of Rasa and Sanic), about three times faster than the standard library's encoder.

Call ``install()`` at start-up in every process that calls the action server; ``close_sessions()`` when its
event loop stops.
"""

from __future__ import annotations

import asyncio
import os
import ssl
import weakref
from typing import Any

import aiohttp
import ujson
from aiohttp import ContentTypeError
from rasa.shared.exceptions import FileNotFoundException
from rasa.utils.endpoints import DEFAULT_REQUEST_TIMEOUT, ClientResponseError, concat_url

KEEP_ALIVE_SECONDS = 2.0

_sessions: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, aiohttp.ClientSession] = (
    weakref.WeakKeyDictionary())


def _session() -> aiohttp.ClientSession:
    """This event loop's session (created on first use; a closed one is replaced)."""
    loop = asyncio.get_running_loop()
    session = _sessions.get(loop)
    if session is None or session.closed:
        connector = aiohttp.TCPConnector(keepalive_timeout=KEEP_ALIVE_SECONDS)
        session = aiohttp.ClientSession(connector=connector, json_serialize=ujson.dumps,
                                        timeout=aiohttp.ClientTimeout(total=DEFAULT_REQUEST_TIMEOUT))
        _sessions[loop] = session
    return session


async def request(self: Any, method: str = "post", subpath: str | None = None,
                  content_type: str | None = "application/json", compress: bool = False, **kwargs: Any) -> Any:
    """``EndpointConfig.request`` on this loop's shared session: the JSON answer, None when it is not JSON,
    ``ClientResponseError`` (status, reason, body) for a status of 400 or more."""
    headers = {"Content-Type": content_type} if content_type else {}
    headers.update(kwargs.pop("headers", {}))
    headers.update(self.headers)
    auth = (aiohttp.BasicAuth(self.basic_auth["username"], self.basic_auth["password"])
            if self.basic_auth else None)
    sslcontext = None
    if self.cafile:
        try:
            sslcontext = ssl.create_default_context(cafile=self.cafile)
        except FileNotFoundError as error:
            raise FileNotFoundException(
                f"Failed to find certificate file, '{os.path.abspath(self.cafile)}' does not exist.") from error
    async with _session().request(method, concat_url(self.url, subpath), headers=headers, auth=auth,
                                  params=self.combine_parameters(kwargs), compress=compress, ssl=sslcontext,
                                  **kwargs) as response:
        if response.status >= 400:
            raise ClientResponseError(response.status, response.reason, await response.content.read())
        try:
            return await response.json()
        except ContentTypeError:
            return None


async def close_sessions() -> None:
    """Close the session of the running event loop (its connections), if it has one."""
    session = _sessions.pop(asyncio.get_running_loop(), None)
    if session is not None:
        await session.close()


def install() -> None:
    """Route ``EndpointConfig.request`` through the shared sessions in this process (idempotent)."""
    from rasa.utils.endpoints import EndpointConfig

    EndpointConfig.request = request  # type: ignore[method-assign]
