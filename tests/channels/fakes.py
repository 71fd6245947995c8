"""Loopback stand-ins for the platforms' HTTP APIs (Telegram Bot API, WeChat API): they record every call."""

from __future__ import annotations

import json
import threading
import urllib.parse
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Responder = Callable[[str, dict[str, Any]], tuple[int, dict[str, Any]]]


class RecordingAPI:
    """An HTTP server on 127.0.0.1 that answers with ``responder(path, params)`` and records each call."""

    def __init__(self, responder: Responder) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.responder = responder
        api = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self) -> None:
                parsed = urllib.parse.urlsplit(self.path)
                params: dict[str, Any] = {k: v[0] for k, v in urllib.parse.parse_qs(parsed.query).items()}
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                params.update(_decode_body(body, self.headers.get("content-type") or ""))
                api.calls.append((parsed.path, params))
                status, payload = api.responder(parsed.path, params)
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = _handle
            do_POST = _handle

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> RecordingAPI:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def calls_to(self, suffix: str) -> list[dict[str, Any]]:
        return [params for path, params in self.calls if path.endswith(suffix)]


def _decode_body(body: bytes, content_type: str) -> dict[str, Any]:
    if not body:
        return {}
    if "json" in content_type or body.lstrip().startswith(b"{"):
        decoded = json.loads(body)
        return decoded if isinstance(decoded, dict) else {"_body": decoded}
    if "x-www-form-urlencoded" in content_type:
        return {k: v[0] for k, v in urllib.parse.parse_qs(body.decode()).items()}
    if "multipart/form-data" in content_type:
        boundary = content_type.split("boundary=")[-1].encode()
        fields = {}
        for part in body.split(b"--" + boundary):
            if b"name=" not in part:
                continue
            header, _, value = part.partition(b"\r\n\r\n")
            name = header.split(b'name="')[1].split(b'"')[0].decode()
            fields[name] = value.rstrip(b"\r\n-").decode()
        return fields
    return {"_body": body.decode(errors="replace")}
