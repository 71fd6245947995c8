"""Load test of the production profile: simulated users over REST and WeChat, then a check of what was stored.

    .venv/bin/python bench/loadtest.py [--users 50] [--seconds 60] [--replicas 2] [--workers 1] [--think 1.0]
                                       [--wechat-share 0.5]

``make loadtest`` runs it with PostgreSQL and Redis on this machine. It starts the production profile itself
(``chuangye serve-prod``: N Rasa replicas with their action servers behind the round-robin proxy, DATABASE_URL
on PostgreSQL, Rasa's lock in Redis) with the WeChat channel on in plaintext mode and WeChat's API replaced by a
loopback stand-in (``loadtest_wechat.py``), waits until every replica answers, and lets N users talk to the
proxy for a bounded time. Each user keeps to one channel (REST or WeChat) and holds conversations one after
another, each under a new sender id unique to this run: a few policy questions, an eligibility dialogue (up to 7
turns, one fact per message), or chit-chat; between messages it waits ``--think`` seconds on average, as a
person reading the reply would. A turn's latency runs from sending the message to its reply: the REST
response, or for WeChat the passive reply or (turns over ~4 s) the first customer-service message. After the
deadline no new message is sent; replies still due are awaited (up to 60 s each).

Printed: turns per second, p50/p95/p99 latency per channel and overall, errors (non-2xx, no or empty reply,
timeouts), how many eligibility dialogues reached their verdict, and, read back from the database once the
servers have stopped, messages lost (acknowledged, yet no user turn stored: in ``turns`` or in Rasa's
``events``) and messages stored more than once. Exit status 1 when anything was lost or duplicated.
Traffic stays on 127.0.0.1; the figures depend on the machine and on whatever else runs on it.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import os
import random
import secrets
import signal
import subprocess
import sys
import time
import uuid
import xml.etree.ElementTree as ElementTree
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import sqlalchemy as sa
from loadtest_wechat import APP_ID, APP_SECRET, TOKEN, FakeWeChatAPI, signed_query, text_message_xml

from bot.channels.base import conversation_id
from bot.server import HOST, free_port
from bot.settings import PROJECT_DIR, load_settings
from bot.storage.contacts import new_key
from bot.storage.handoffs import hash_sender
from bot.storage.redaction import redact
from bot.storage.turns import turns

LOG_DIR = PROJECT_DIR / ".rasa" / "loadtest"
START_TIMEOUT_SECONDS = 420.0
TURN_TIMEOUT_SECONDS = 60.0
REST_TOKEN = secrets.token_hex(16)  # this run's REST_API_TOKEN

POLICY_QUESTIONS = (
    "大学生创业有社保补贴吗", "休学创业学籍怎么办", "科研人员离岗创业有什么政策", "创业担保贷款能贷多少",
    "我是做碳纤维的 该去哪个园区", "陇原青年创业促进计划的贴息贷款怎么申请", "科技成果转化收益怎么分",
    "政府采购对小微企业有啥照顾", "海外人才回甘肃创业有啥政策", "农民工返乡创业有扶持吗", "众创空间怎么申请",
    "创新券是什么", "小微企业税收有优惠吗", "创业培训去哪报名", "天使投资有引导基金吗", "专利申请有资助吗",
    "公积金怎么提取",
)
CHIT_CHAT = (("你好", "你能做什么", "谢谢"), ("你好", "再见"), ("你能做什么", "谢谢", "再见"))
VERDICT_WORDING = {"eligible": "你符合", "not_eligible": "你暂时不符合"}  # the verdict line of the reply


@dataclass(frozen=True)
class Dialogue:
    messages: tuple[str, ...]
    verdict: str  # the verdict the last message must bring
    rest_only: bool = False  # starts with a button payload, which a WeChat user cannot type


ELIGIBILITY_DIALOGUES = (
    Dialogue(("大学生创业有社保补贴吗", "我符合吗", "毕业俩年了", "是的", "第一次", "微型", "做软件的"), "eligible"),
    Dialogue(("科研人员离岗创业有什么政策", "我符合吗", "我是兰州大学的老师 搞科研的", "单位同意了"), "eligible"),
    Dialogue(('/check_eligibility{"topic":"student_startup_social_insurance"}', "毕业俩年了", "是的", "第一次",
              "微型", "开饭馆的"), "not_eligible", rest_only=True),
)
SCENARIO_WEIGHTS = {"policy": 0.40, "eligibility": 0.35, "chitchat": 0.25}


@dataclass
class Turn:
    channel: str
    sender: str
    text: str
    sent_at: float = field(default_factory=time.monotonic)
    latency: float | None = None  # seconds until the reply; None without one
    acknowledged: bool = False  # the assistant accepted the message (2xx)
    error: str | None = None  # None: a non-empty reply arrived
    reply: str = ""
    verdict: str | None = None  # REST: the payload's verdict
    via_api: bool = False  # WeChat: the reply came through the customer-service API (turn over ~4 s)


@dataclass
class Conversation:
    channel: str
    sender: str
    kind: str
    expected_verdict: str | None
    turns: list[Turn] = field(default_factory=list)
    finished: bool = False  # every message was sent (the deadline did not cut it short)


@dataclass
class Run:
    front: str
    wechat: FakeWeChatAPI
    session: aiohttp.ClientSession
    deadline: float
    think: float
    seed: int
    run_id: str
    conversations: list[Conversation] = field(default_factory=list)
    last_reply_at: float = 0.0  # monotonic time of the last turn that ended
    message_ids: Iterator[int] = field(default_factory=lambda: itertools.count(random.randrange(10**15, 10**16)))


async def post(run: Run, turn: Turn, url: str, **request: Any) -> bytes | None:
    """POST one message; the response body when acknowledged (2xx), else None with ``turn.error`` set."""
    try:
        async with run.session.post(url, **request) as answer:
            body = await answer.read()
            turn.acknowledged = 200 <= answer.status < 300
            if not turn.acknowledged:
                turn.error = f"HTTP {answer.status}"
                return None
            return body
    except asyncio.TimeoutError:
        turn.error = "timeout"
    except aiohttp.ClientError as error:
        turn.error = f"connection: {error.__class__.__name__}"
    return None


async def rest_turn(run: Run, sender: str, text: str) -> Turn:
    turn = Turn("rest", sender, text)
    started = time.perf_counter()
    body = await post(run, turn, f"{run.front}/webhooks/rest/webhook", json={"sender": sender, "message": text})
    if body is None:
        return turn
    turn.latency = time.perf_counter() - started
    messages = json.loads(body) if body else []
    turn.reply = "\n".join(m.get("text", "") for m in messages if isinstance(m, dict))
    customs = [m["custom"] for m in messages if isinstance(m, dict) and isinstance(m.get("custom"), dict)]
    turn.verdict = customs[-1].get("verdict") if customs else None
    if not turn.reply.strip():
        turn.error = "empty reply"
    return turn


async def wechat_turn(run: Run, openid: str, text: str) -> Turn:
    turn = Turn("wechat", openid, text)
    already_sent = len(run.wechat.sent[openid])
    started = time.perf_counter()
    body = await post(run, turn, f"{run.front}/webhooks/wechat/webhook", params=signed_query(),
                      data=text_message_xml(openid, text, next(run.message_ids)), headers={"Content-Type": "text/xml"})
    if body is None:
        return turn
    if body.strip() and body.strip() != b"success":
        turn.reply = ElementTree.fromstring(body).findtext("Content") or ""
    elif await run.wechat.wait_for(openid, already_sent + 1, TURN_TIMEOUT_SECONDS):
        turn.reply, turn.via_api = run.wechat.sent[openid][already_sent], True
    else:
        turn.error = "no reply (neither passive nor customer-service message)"
        return turn
    turn.latency = time.perf_counter() - started
    if not turn.reply.strip():
        turn.error = "empty reply"
    return turn


def pick_conversation(rng: random.Random, channel: str) -> tuple[str, Sequence[str], str | None]:
    kind = rng.choices(list(SCENARIO_WEIGHTS), weights=list(SCENARIO_WEIGHTS.values()))[0]
    if kind == "policy":
        return kind, rng.sample(POLICY_QUESTIONS, rng.randint(1, 3)), None
    if kind == "chitchat":
        return kind, rng.choice(CHIT_CHAT), None
    dialogue = rng.choice([d for d in ELIGIBILITY_DIALOGUES if channel == "rest" or not d.rest_only])
    return kind, dialogue.messages, dialogue.verdict


async def simulated_user(run: Run, index: int, channel: str) -> None:
    """Conversations one after another until the deadline, each under a new sender id."""
    rng = random.Random(run.seed * 100_003 + index)
    await asyncio.sleep(rng.uniform(0, run.think))  # users do not all start in the same millisecond
    for number in itertools.count():
        if time.monotonic() >= run.deadline:
            return
        kind, messages, verdict = pick_conversation(rng, channel)
        sender = f"{'o' if channel == 'wechat' else 'u'}-lt{run.run_id}-{index}-{number}"
        conversation = Conversation(channel, sender, kind, verdict)
        run.conversations.append(conversation)
        for position, text in enumerate(messages):
            if time.monotonic() >= run.deadline:
                break
            turn = await (rest_turn if channel == "rest" else wechat_turn)(run, sender, text)
            run.last_reply_at = max(run.last_reply_at, time.monotonic())
            conversation.turns.append(turn)
            if turn.error:
                break  # the rest of this conversation would make no sense
            if position == len(messages) - 1:
                conversation.finished = True
            await asyncio.sleep(rng.uniform(0.5 * run.think, 1.5 * run.think))


async def warm_up(run: Run, replicas: int) -> None:
    """Not measured: the first turns of a fresh replica are slow (lazy set-up in Rasa and the action server).

    Sequential requests alternate between the replicas, so each one sees every kind of turn several times.
    """
    rest, wechat = ELIGIBILITY_DIALOGUES[2], ELIGIBILITY_DIALOGUES[0]
    for round_number in range(2 * replicas):
        for text in (*rest.messages, *POLICY_QUESTIONS[:2], *CHIT_CHAT[0]):
            await rest_turn(run, f"u-warm{run.run_id}-{round_number}", text)
        for text in (*wechat.messages, *CHIT_CHAT[0]):
            await wechat_turn(run, f"o-warm{run.run_id}-{round_number}", text)


# --- the production profile, started as `chuangye serve-prod` would be -----------------------------------------


@contextlib.contextmanager
def prod_profile(replicas: int, port: int, environment: dict[str, str], log_path: Path,
                 workers: int = 1) -> Iterator[subprocess.Popen]:
    """``chuangye serve-prod`` in a child process (its output and the replicas' in ``log_path``); stopped after."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "serve-prod", "--replicas", str(replicas), "--workers", str(workers),
             "--port", str(port)],
            cwd=PROJECT_DIR, env={**os.environ, **environment}, stdout=log, stderr=subprocess.STDOUT)
        try:
            yield process
        finally:
            if process.poll() is None:
                process.send_signal(signal.SIGINT)  # the launcher stops its replicas, then exits
                try:
                    process.wait(timeout=90)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


async def wait_until_serving(front: str, replicas: int, launcher: subprocess.Popen, timeout: float) -> bool:
    """True once every replica is up (the proxy's report; one replica has no proxy and reports itself);
    False when the launcher exits or at the deadline."""
    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as session:
        while time.monotonic() < deadline and launcher.poll() is None:
            with contextlib.suppress(aiohttp.ClientError, asyncio.TimeoutError):
                async with session.get(f"{front}/health") as answer:
                    report = await answer.json()
                    if "replicas" in report and sum(r["up"] for r in report["replicas"]) == replicas:
                        return True
                    if replicas == 1 and report.get("status") == "ready":
                        return True
            await asyncio.sleep(1)
    return False


# --- what the database holds afterwards --------------------------------------------------------------------------

@dataclass
class StoredCheck:
    lost: int = 0  # acknowledged messages without a stored user turn
    duplicated: int = 0  # stored user turns beyond the messages sent
    out_of_order: int = 0  # conversations whose stored turns are not in the order sent


def _chunks(items: Sequence[str], size: int = 500) -> Iterable[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def stored_user_texts(database_url: str, conversations: dict[str, str], salt: str) -> tuple[dict[str, list[str]],
                                                                                              dict[str, list[str]]]:
    """Per sender, the user texts in Rasa's ``events`` and in ``turns``, each in the order stored.

    ``conversations``: sender → its conversation id (a channel's ids carry the channel: "wechat:o-…"); both tables
    keep the conversation id's salted hash only.
    """
    senders = list(conversations)
    events: dict[str, list[str]] = {sender: [] for sender in senders}
    logged: dict[str, list[str]] = {sender: [] for sender in senders}
    by_hash = {hash_sender(conversation, salt): sender for sender, conversation in conversations.items()}
    events_query = sa.text("SELECT sender_id, data FROM events WHERE type_name = 'user' AND sender_id IN :ids "
                           "ORDER BY id").bindparams(sa.bindparam("ids", expanding=True))
    engine = sa.create_engine(database_url, future=True, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as connection:
            for chunk in _chunks(list(by_hash)):
                for sender_key, data in connection.execute(events_query, {"ids": list(chunk)}):
                    events[by_hash[sender_key]].append(json.loads(data)["text"])
            for chunk in _chunks(list(by_hash)):
                query = (sa.select(turns.c.sender_hash, turns.c.user_text)
                         .where(turns.c.sender_hash.in_(list(chunk))).order_by(turns.c.id))
                for sender_hash, user_text in connection.execute(query):
                    logged[by_hash[sender_hash]].append(user_text)
    finally:
        engine.dispose()
    return events, logged


def compare(conversations: Sequence[Conversation], stored: dict[str, list[str]], as_stored: Any) -> StoredCheck:
    check = StoredCheck()
    for conversation in conversations:
        sent = [as_stored(turn.text) for turn in conversation.turns]
        acknowledged = [as_stored(turn.text) for turn in conversation.turns if turn.acknowledged]
        kept = stored[conversation.sender]
        check.lost += sum((Counter(acknowledged) - Counter(kept)).values())
        check.duplicated += sum((Counter(kept) - Counter(sent)).values())
        if kept != acknowledged and sorted(kept) == sorted(acknowledged):
            check.out_of_order += 1
    return check


# --- figures ------------------------------------------------------------------------------------------------------

def percentile(values: Sequence[float], share: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def ms(value: float | None) -> str:
    return "-" if value is None else f"{value * 1000:.0f}"


def report(conversations: Sequence[Conversation], wechat: FakeWeChatAPI, elapsed: float) -> None:
    all_turns = [turn for conversation in conversations for turn in conversation.turns]
    print(f"\n{'channel':<8} {'turns':>6} {'turns/s':>8} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'errors':>7}")
    for channel in ("rest", "wechat", "all"):
        chosen = [t for t in all_turns if channel in ("all", t.channel)]
        answered = [t.latency for t in chosen if t.error is None and t.latency is not None]
        errors = sum(t.error is not None for t in chosen)
        print(f"{channel:<8} {len(answered):>6} {len(answered) / elapsed:>8.1f} {ms(percentile(answered, 0.5)):>7} "
              f"{ms(percentile(answered, 0.95)):>7} {ms(percentile(answered, 0.99)):>7} {errors:>7}")
    reasons = Counter(t.error for t in all_turns if t.error)
    if reasons:
        print("errors: " + ", ".join(f"{reason} ×{count}" for reason, count in reasons.most_common()))
    wechat_turns = [t for t in all_turns if t.channel == "wechat" and t.error is None]
    pieces = sum(len(wechat.sent[c.sender]) for c in conversations if c.channel == "wechat")
    by_api = sum(t.via_api for t in wechat_turns)
    print(f"WeChat: {len(wechat_turns) - by_api} passive replies, {by_api} through the customer-service API "
          f"(turn over ~4 s); {pieces - by_api} further customer-service messages (continuations of long replies)")
    dialogues = [c for c in conversations if c.kind == "eligibility" and c.finished]
    with_verdict = sum(_reached_verdict(c) for c in dialogues)
    print(f"eligibility dialogues sent in full: {len(dialogues)}, ending in the expected verdict: {with_verdict}")


def _reached_verdict(conversation: Conversation) -> bool:
    last = conversation.turns[-1]
    if last.error is not None or conversation.expected_verdict is None:
        return False
    if conversation.channel == "rest":
        return last.verdict == conversation.expected_verdict
    return VERDICT_WORDING[conversation.expected_verdict] in last.reply


# --- main ---------------------------------------------------------------------------------------------------------

async def load(args: argparse.Namespace, database_url: str, salt: str) -> int:
    wechat = await FakeWeChatAPI().start()
    port = free_port()
    front = f"http://{HOST}:{port}"
    environment = {
        "DATABASE_URL": database_url, "SENDER_HASH_SALT": salt, "HANDOFF_CONTACT_KEY": new_key(),
        "REST_API_TOKEN": REST_TOKEN,  # the production profile serves REST only to callers with the token
        "WECHAT_TOKEN": TOKEN, "WECHAT_APP_ID": APP_ID, "WECHAT_APP_SECRET": APP_SECRET, "WECHAT_AES_KEY": "",
        "WECHAT_API_BASE_URL": wechat.api_base_url,
        "TELEGRAM_BOT_TOKEN": "", "SMS_WEBHOOK_SECRET": "",  # REST and WeChat only
    }
    log_path = LOG_DIR / "serve-prod.log"
    load_average = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(f"starting the production profile: {args.replicas} replicas behind the proxy on {front} "
          f"(log: {log_path.relative_to(PROJECT_DIR)}); {os.cpu_count()} cores, load average {load_average}",
          flush=True)
    try:
        with prod_profile(args.replicas, port, environment, log_path, args.workers) as launcher:
            started = time.monotonic()
            if not await wait_until_serving(front, args.replicas, launcher, START_TIMEOUT_SECONDS):
                print(f"the production profile did not start: see {log_path}", file=sys.stderr)
                return 2
            print(f"serving after {time.monotonic() - started:.0f} s; warming up", flush=True)
            run_id = uuid.uuid4().hex[:8]
            timeout = aiohttp.ClientTimeout(total=TURN_TIMEOUT_SECONDS)
            async with aiohttp.ClientSession(timeout=timeout, connector=aiohttp.TCPConnector(limit=0),
                                             headers={"Authorization": f"Bearer {REST_TOKEN}"}) as session:
                run = Run(front, wechat, session, 0.0, args.think, args.seed, run_id)
                await warm_up(run, args.replicas)
                print(f"{args.users} users for {args.seconds:.0f} s", flush=True)
                run.deadline = time.monotonic() + args.seconds
                wechat_users = round(args.users * args.wechat_share)
                began = time.monotonic()
                await asyncio.gather(*(simulated_user(run, index, "wechat" if index < wechat_users else "rest")
                                       for index in range(args.users)))
                elapsed = max(run.last_reply_at, run.deadline) - began
        # The servers have stopped: everything they were going to store is stored.
    finally:
        await wechat.stop()
    conversations = [c for c in run.conversations if c.turns]
    print(f"load: {args.users} users ({args.users - wechat_users} REST, {wechat_users} WeChat), "
          f"{args.seconds:.0f} s of sending, {elapsed:.1f} s until the last reply, think time "
          f"{0.5 * args.think:.2f}–{1.5 * args.think:.2f} s, {len(conversations)} conversations")
    report(conversations, wechat, elapsed)
    details = LOG_DIR / "turns.jsonl"
    with details.open("w", encoding="utf-8") as out:
        for conversation in conversations:
            for turn in conversation.turns:
                record = {"channel": turn.channel, "sender": turn.sender, "text": turn.text,
                          "sent_at": round(turn.sent_at - began, 3), "latency": turn.latency, "error": turn.error,
                          "acknowledged": turn.acknowledged, "via_api": turn.via_api}
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
    print(f"every turn: {details.relative_to(PROJECT_DIR)}")
    ids = {c.sender: c.sender if c.channel == "rest" else conversation_id(c.channel, c.sender) for c in conversations}
    events, logged = stored_user_texts(database_url, ids, salt)
    in_events = compare(conversations, events, str.strip)
    in_turns = compare(conversations, logged, lambda text: redact(text.strip()))
    print(f"database (turns table / Rasa events): messages lost {in_turns.lost} / {in_events.lost}, "
          f"stored more than once {in_turns.duplicated} / {in_events.duplicated}, "
          f"conversations out of order {in_turns.out_of_order} / {in_events.out_of_order}")
    failed = in_turns.lost + in_events.lost + in_turns.duplicated + in_events.duplicated
    return 1 if failed else 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=50, help="concurrent simulated users (default 50)")
    parser.add_argument("--seconds", type=float, default=60.0, help="how long new messages are sent (default 60)")
    parser.add_argument("--replicas", type=int, default=2, help="Rasa replicas behind the proxy (default 2)")
    parser.add_argument("--workers", type=int, default=1, help="Sanic worker processes per replica (default 1)")
    parser.add_argument("--think", type=float, default=1.0,
                        help="mean pause between a reply and the next message, seconds (default 1.0)")
    parser.add_argument("--wechat-share", type=float, default=0.5, help="share of users on WeChat (default 0.5)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    if args.users < 1 or args.seconds <= 0 or not 0 <= args.wechat_share <= 1:
        parser.error("--users must be at least 1, --seconds positive, --wechat-share between 0 and 1")
    settings = load_settings()
    if sa.engine.make_url(settings.database_url).get_backend_name() == "sqlite":
        parser.error("set DATABASE_URL to PostgreSQL (make loadtest uses postgresql://postgres@127.0.0.1:5432/test)")
    return asyncio.run(load(args, settings.database_url, settings.sender_hash_salt))


if __name__ == "__main__":
    sys.exit(main())
