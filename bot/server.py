"""``chuangye serve``: the Rasa server (REST channel) and the action server, both bound to loopback."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from bot.channels.enabled import write_credentials
from bot.settings import PROJECT_DIR, load_settings

HOST = "127.0.0.1"


def free_port() -> int:
    """A TCP port on the loopback address that nothing listens on now, for a server started next."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def _rasa_executable() -> str:
    return str(Path(sys.executable).with_name("rasa"))


def wait_until_up(url: str, timeout_seconds: float) -> bool:
    deadline = time.monotonic() + timeout_seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return True
        except OSError:
            time.sleep(0.5)
    return False


def server_environment(action_port: int, extra_environment: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of both servers: loopback, the action server's URL, Sanic's body limit."""
    return {**os.environ, **(extra_environment or {}), "SANIC_HOST": HOST,
            "ACTION_SERVER_URL": f"http://{HOST}:{action_port}/webhook",
            # Sanic refuses bodies over 1 MB before any handler runs; the channels allow 64 KB.
            "SANIC_REQUEST_MAX_SIZE": str(1024 * 1024)}


def start_servers(model_path: Path, rasa_port: int, action_port: int,
                  extra_environment: dict[str, str] | None = None,
                  endpoints: str = "endpoints.yml") -> list[subprocess.Popen]:
    """Start the action server and the Rasa server; returns both processes (action server first).

    ``endpoints`` is the endpoints file, relative to the project directory (``endpoints.prod.yml``: the
    production profile of ``bot.prod``).
    """
    environment = server_environment(action_port, extra_environment)
    with _patched_environment(extra_environment or {}):
        credentials = PROJECT_DIR / "var" / f"credentials.{rasa_port}.yml"
        channels = write_credentials(load_settings(), credentials)
    print(f"channels on: {', '.join(channels)}", flush=True)
    actions = subprocess.Popen(
        [_rasa_executable(), "run", "actions", "--actions", "actions", "-p", str(action_port)],
        cwd=PROJECT_DIR, env=environment,
    )
    rasa = subprocess.Popen(
        [sys.executable, "-m", "bot.rasa_entry", "run", "-m", str(model_path), "-i", HOST, "-p", str(rasa_port),
         "--endpoints", endpoints, "--credentials", str(credentials)],
        cwd=PROJECT_DIR, env=environment,
    )
    return [actions, rasa]


@contextlib.contextmanager
def _patched_environment(values: dict[str, str]) -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def stop_servers(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
    for process in processes:
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def serve() -> int:
    """Start both servers, print the address, stop both on Ctrl-C or when one exits."""
    settings = load_settings()
    if not settings.model_path.exists():
        raise FileNotFoundError(f"no trained model at {settings.model_path}: run `make train` first")
    processes = start_servers(settings.model_path, settings.rasa_port, settings.action_port)
    try:
        if wait_until_up(f"http://{HOST}:{settings.rasa_port}/", timeout_seconds=180):
            print(f"创业助手已启动: POST http://{HOST}:{settings.rasa_port}/webhooks/rest/webhook "
                  f'with {{"sender": "...", "message": "..."}} (actions on {HOST}:{settings.action_port}). '
                  "Ctrl-C stops it.", flush=True)
        while all(process.poll() is None for process in processes):
            time.sleep(1)
    except KeyboardInterrupt:
        pass
    finally:
        stop_servers(processes)
    return max((process.returncode or 0) for process in processes)
