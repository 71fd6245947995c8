"""Faults on a live assistant (Rasa server + action server, real model, SQLite): bursts, a dead or hung action
server, a Rasa restart mid-form. Each test leaves both servers running for the next."""

from __future__ import annotations

import concurrent.futures
import socket
import time
import uuid
from collections.abc import Iterator

import pytest

from bot.server import HOST
from tests.conftest import MODEL_PATH
from tests.resilience.servers import Servers, payload, texts

BURST = [
    "大学生创业有社保补贴吗", "科研人员离岗创业有什么政策", "返乡创业有什么扶持", "创业担保贷款怎么申请",
    "小微企业税收优惠有哪些", "众创空间有补贴吗", "营业执照怎么办", "休学创业可以吗",
    "大学科技园怎么入驻", "谢谢",
]
RESEARCHER_CHECK = '/check_eligibility{"topic":"researcher_leave_startup"}'


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    if not MODEL_PATH.exists():
        pytest.fail(f"no trained model at {MODEL_PATH}: run `make train`")
    database_url = f"sqlite:///{tmp_path_factory.mktemp('faults') / 'chuangye.db'}"
    running = Servers({"DATABASE_URL": database_url}).start()
    try:
        yield running
    finally:
        running.stop()


def new_sender(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def test_ten_messages_sent_at_once_are_processed_one_by_one_in_order(servers: Servers) -> None:
    sender = new_sender("burst")

    def send(index: int) -> list[dict]:
        time.sleep(0.05 * index)  # all ten are in flight together, in a known order of arrival
        return servers.say(sender, BURST[index])

    started = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(max_workers=len(BURST)) as pool:
        replies = list(pool.map(send, range(len(BURST))))
    print(f"\n10 messages from one user at once: all answered after {time.monotonic() - started:.2f} s")

    assert all(texts(reply) for reply in replies), "every message gets its own reply"
    assert "三(四)2" in texts(replies[0]) and "三(四)1" in texts(replies[1])  # each answers its own question
    stored = servers.stored_turns(sender)
    assert [turn["user_text"] for turn in stored] == BURST  # ten user turns, stored once each, in order


def hung_action_server(port: int) -> socket.socket:
    """Accepts connections (the kernel does) and never answers: a stuck action server."""
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((HOST, port))
    listener.listen(64)
    return listener


def timed_say(servers: Servers, sender: str, message: str) -> tuple[float, list[dict]]:
    started = time.monotonic()
    reply = servers.say(sender, message, timeout=30)
    return time.monotonic() - started, reply


def test_action_server_down_or_hung_gets_a_short_retry_reply_and_is_flagged(servers: Servers) -> None:
    sender = new_sender("actions-down")
    assert payload(servers.say(sender, "大学生创业有社保补贴吗"))["kind"] == "answer"

    servers.stop_actions()
    try:
        refused_seconds, refused = timed_say(servers, sender, "科研人员离岗创业有什么政策")
        hung = hung_action_server(servers.action_port)
        try:
            hung_seconds, stuck = timed_say(servers, sender, "返乡创业有什么扶持")
        finally:
            hung.close()
    finally:
        servers.restart_actions()
    print(f"\naction server refused: reply in {refused_seconds:.2f} s; hung: reply in {hung_seconds:.2f} s")

    for seconds, reply in ((refused_seconds, refused), (hung_seconds, stuck)):
        assert seconds < 5.0  # the bound (Rasa's own wait is 300 s)
        assert "暂时无法" in texts(reply)
        assert payload(reply)["kind"] == "unavailable"
    stored = servers.stored_turns(sender)
    assert [(turn["user_text"], turn["kind"]) for turn in stored] == [
        ("大学生创业有社保补贴吗", "answer"),
        ("科研人员离岗创业有什么政策", "unavailable"),
        ("返乡创业有什么扶持", "unavailable"),
    ]

    back = servers.say(sender, "科研人员离岗创业有什么政策")  # the server is back: the next message works
    assert payload(back)["kind"] == "answer" and "三(四)1" in texts(back)


def test_a_rasa_restart_mid_form_keeps_the_earlier_turns_and_resumes_the_form(servers: Servers) -> None:
    sender = new_sender("restart")
    servers.say(sender, RESEARCHER_CHECK)
    question = servers.say(sender, "我是兰州大学的老师 搞科研的")
    assert payload(question)["kind"] == "eligibility" and payload(question)["verdict"] == "need_more_info"

    servers.restart_rasa()

    verdict = payload(servers.say(sender, "单位同意了"))
    assert (verdict["kind"], verdict["verdict"]) == ("eligibility", "eligible")
    assert [turn["user_text"] for turn in servers.stored_turns(sender)] == [
        RESEARCHER_CHECK, "我是兰州大学的老师 搞科研的", "单位同意了"]
