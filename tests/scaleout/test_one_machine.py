"""``chuangye serve-prod --replicas 1 --workers 2``: one Rasa server with two worker processes on the front port.

On one machine this is how the production profile uses every core without the proxy's hop. What it proves: the
launcher starts the Rasa server on the front port itself (no proxy), Rasa really runs two worker processes with
the Redis lock store, a conversation works, and Ctrl-C stops everything.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest

from bot.prod import free_port
from bot.server import HOST
from bot.settings import PROJECT_DIR
from tests.scaleout.conftest import CONTACT_KEY, REST_TOKEN, SALT, SharedBackends, say

START_SECONDS = 240


def health(url: str) -> dict | None:
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=3) as response:
            return json.loads(response.read())
    except (OSError, urllib.error.URLError, ValueError):
        return None


def descendants(pid: int) -> list[int]:
    children_file = Path(f"/proc/{pid}/task/{pid}/children")
    children = [int(child) for child in children_file.read_text().split()] if children_file.exists() else []
    return [pid for child in children for pid in (child, *descendants(child))]


def rasa_server_processes(launcher: int) -> int:
    """Processes under the launcher running ``rasa run -m`` (the server and its forked workers)."""
    count = 0
    for pid in descendants(launcher):
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        count += b"run" in command and b"-m" in command and not any(part.endswith(b"actions") for part in command)
    return count


def test_one_replica_with_two_workers_answers_on_the_front_port(shared_backends: SharedBackends) -> None:
    port = free_port()
    front = f"http://{HOST}:{port}"
    environment = {**os.environ, "DATABASE_URL": shared_backends.database_url, "SENDER_HASH_SALT": SALT,
                   "HANDOFF_CONTACT_KEY": CONTACT_KEY, "REST_API_TOKEN": REST_TOKEN, **shared_backends.redis}
    launcher = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "serve-prod", "--replicas", "1", "--workers", "2", "--port", str(port)],
        cwd=PROJECT_DIR, env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + START_SECONDS
        while (report := health(front)) is None or report.get("status") != "ready":
            assert launcher.poll() is None, launcher.stdout.read().decode(errors="replace")[-3000:]
            assert time.monotonic() < deadline, "serve-prod did not become ready"
            time.sleep(1)
        assert "replicas" not in report  # Rasa's own /health: no proxy in front of a single replica
        assert rasa_server_processes(launcher.pid) == 3  # Sanic's main process and its two workers

        sender = f"one-machine-{uuid.uuid4().hex[:12]}"
        with pytest.raises(urllib.error.HTTPError) as refused:  # REST shares the front address: token only
            say(front, sender, "大学生创业有社保补贴吗")
        assert refused.value.code == 401
        for message in ("大学生创业有社保补贴吗", "找哪个部门?"):
            customs = [reply["custom"] for reply in say(front, sender, message, REST_TOKEN) if "custom" in reply]
            assert customs and customs[-1]["topic"] == "student_startup_social_insurance", message
    finally:
        launcher.send_signal(signal.SIGINT)
        try:
            returncode = launcher.wait(timeout=90)
        except subprocess.TimeoutExpired:
            launcher.kill()
            raise
    assert returncode == 0
    assert health(front) is None  # nothing listens any more
