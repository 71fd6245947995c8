"""Requests the server refuses on purpose, with the HTTP status that tells the sender what to do next."""

from __future__ import annotations

from sanic import response


class BadRequest(Exception):
    """The request must be refused with ``status``; nothing has been stored.

    4xx: the sender should not send it again as it is. 503 (``StorageUnavailable``): the platform should retry.
    """

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason

    def response(self) -> response.HTTPResponse:
        return response.text(self.reason, status=self.status)
