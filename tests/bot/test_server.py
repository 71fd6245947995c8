"""The live assistant over Rasa's REST channel: Rasa server + action server on loopback, real model."""

from __future__ import annotations

import json
import subprocess
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.server import HOST, free_port, start_servers, stop_servers, wait_until_up
from tests.conftest import MODEL_PATH


@pytest.fixture(scope="module")
def servers(database_url: str) -> Iterator[tuple[str, list[subprocess.Popen]]]:
    """The REST webhook's address and the processes (action server, Rasa server)."""
    if not MODEL_PATH.exists():
        pytest.fail(f"no trained model at {MODEL_PATH}: run `make train`")
    rasa_port, action_port = free_port(), free_port()
    processes = start_servers(MODEL_PATH, rasa_port, action_port, {"DATABASE_URL": database_url})
    try:
        assert wait_until_up(f"http://{HOST}:{rasa_port}/", timeout_seconds=240), "Rasa server did not start"
        assert wait_until_up(f"http://{HOST}:{action_port}/health", timeout_seconds=60), "actions did not start"
        yield f"http://{HOST}:{rasa_port}/webhooks/rest/webhook", processes
    finally:
        stop_servers(processes)


@pytest.fixture(scope="module")
def rest_url(servers: tuple[str, list[subprocess.Popen]]) -> str:
    return servers[0]


def test_the_rasa_server_answers_without_loading_jax(servers: tuple[str, list[subprocess.Popen]]) -> None:
    url, [_, rasa] = servers
    assert post(url, "rest-user-jax", "你好")  # the model is loaded and has answered
    libraries = Path(f"/proc/{rasa.pid}/maps").read_text()
    assert "tensorflow" in libraries and "jaxlib" not in libraries


def post(url: str, sender: str, message: str) -> list[dict]:
    body = json.dumps({"sender": sender, "message": message}).encode()
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())


def test_rest_reply_carries_text_buttons_and_the_topic_payload(rest_url: str) -> None:
    messages = post(rest_url, "rest-user-1", "科研人员离岗创业有什么政策")
    texts = [m["text"] for m in messages if "text" in m]
    custom = [m["custom"] for m in messages if "custom" in m]
    assert texts and "三(四)1" in texts[0]
    assert any(m.get("buttons") for m in messages)
    [payload] = custom
    assert {key: payload[key] for key in ("topic", "kind", "verdict", "section", "departments")} == {
        "topic": "researcher_leave_startup", "kind": "answer", "verdict": None, "section": "三(四)1",
        "departments": ["省科技厅", "省教育厅", "省人社厅", "省财政厅", "省发展改革委", "省政府国资委"],
    }
    # What the NLU understood, on both axes, travels with it.
    assert (payload["act"], payload["message_topic"], payload["language"]) == (
        "ask_policy", "researcher_leave_startup", "zh")
    assert 0 < payload["act_confidence"] <= 1 and 0 < payload["topic_confidence"] <= 1


def test_rest_eligibility_dialogue_keeps_state_between_requests(rest_url: str) -> None:
    sender = "rest-user-2"
    post(rest_url, sender, '/check_eligibility{"topic":"researcher_leave_startup"}')
    post(rest_url, sender, "我是兰州大学的老师 搞科研的")
    messages = post(rest_url, sender, "单位同意了")
    custom = [m["custom"] for m in messages if "custom" in m][-1]
    assert custom["kind"] == "eligibility"
    assert custom["verdict"] == "eligible"
    assert custom["departments"][0] == "省科技厅"


def post_with(url: str, message: str, authorization: str | None) -> int:
    body = json.dumps({"sender": "rest-token-user", "message": message}).encode()
    headers = {"Content-Type": "application/json", **({"Authorization": authorization} if authorization else {})}
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data=body, headers=headers), timeout=60) as answer:
            return answer.status
    except urllib.error.HTTPError as refused:
        return refused.code


@pytest.mark.parametrize(("token", "expected"), [("live-rest-token", {None: 401, "Bearer nope": 401,
                                                                      "Bearer live-rest-token": 200}),
                                                 ("", {None: 403, "Bearer live-rest-token": 403})])
def test_rest_in_the_production_profile_needs_the_token_and_is_off_without_one(
        database_url: str, token: str, expected: dict[str | None, int]) -> None:
    rasa_port, action_port = free_port(), free_port()
    processes = start_servers(MODEL_PATH, rasa_port, action_port, {
        "DATABASE_URL": database_url, "REST_REQUIRE_TOKEN": "1", "REST_API_TOKEN": token})
    try:
        assert wait_until_up(f"http://{HOST}:{rasa_port}/", timeout_seconds=240), "Rasa server did not start"
        url = f"http://{HOST}:{rasa_port}/webhooks/rest/webhook"
        assert {authorization: post_with(url, "你好", authorization) for authorization in expected} == expected
    finally:
        stop_servers(processes)


def test_a_rest_sender_over_the_rate_limit_gets_429_and_others_are_answered(database_url: str) -> None:
    rasa_port, action_port = free_port(), free_port()
    processes = start_servers(MODEL_PATH, rasa_port, action_port, {"DATABASE_URL": database_url,
                                                                   "SENDER_RATE_LIMIT": "2/3600"})
    try:
        assert wait_until_up(f"http://{HOST}:{rasa_port}/", timeout_seconds=240), "Rasa server did not start"
        url = f"http://{HOST}:{rasa_port}/webhooks/rest/webhook"
        body = json.dumps({"sender": "rest-rate-user", "message": "你好"}).encode()
        statuses = []
        for _ in range(3):
            request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
            try:
                with urllib.request.urlopen(request, timeout=60) as answer:
                    statuses.append(answer.status)
            except urllib.error.HTTPError as refused:
                statuses.append(refused.code)
                assert refused.headers["Retry-After"] == "3600"
        assert statuses == [200, 200, 429]
        assert post_with(url, "你好", None) == 200  # "rest-token-user": another sender
    finally:
        stop_servers(processes)
