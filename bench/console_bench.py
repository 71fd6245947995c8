"""Times the review console's list-page query on 100,000 turns, once per filter (figures, not pass/fail).

    .venv/bin/python bench/console_bench.py [--turns 100000] [--repeat 5]

Seeds a temporary SQLite database, and a throwaway schema of PostgreSQL when TEST_DATABASE_URL is set, with
turns spread over 90 days (channels, topics, kinds, feedback and review status in plausible proportions),
runs ANALYZE as a maintained database would have, then prints the median time of the first page (50 turns,
newest first) for each filter, a page deep in the list, a transcript, the dashboard and a full export scan.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa

from bot.console import dashboard
from bot.console.turn_filters import TurnFilter
from bot.console.turn_queries import Cursor, iterate_turns, list_turns, transcript
from bot.console.vocabulary import known_topics
from bot.storage.database import engine_for
from bot.storage.turns import turns

BEIJING = dt.timezone(dt.timedelta(hours=8))
DAYS = 90
PAGE_SIZE = 50
KINDS = (("answer", 60), ("eligibility", 15), ("clarify", 10), ("out_of_scope", 8), ("chitchat", 5),
         ("handoff", 2))
CHANNELS = (("wechat", 50), ("rest", 20), ("sms", 20), ("telegram", 10))


def _weighted(rng: random.Random, pairs: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([name for name, _ in pairs], weights=[weight for _, weight in pairs])[0]


def generate(count: int, now: dt.datetime, seed: int = 2015) -> Iterator[dict]:
    """Turns from about count/5 senders, newest within the hour, oldest DAYS days back."""
    rng = random.Random(seed)
    topics = [topic.id for topic in known_topics()]
    topic_weights = [1 / (rank + 1) for rank in range(len(topics))]  # a few topics get most questions
    for _ in range(count):
        kind = _weighted(rng, KINDS)
        topic = rng.choices(topics, weights=topic_weights)[0] if kind in ("answer", "eligibility") else None
        confidence = round(rng.betavariate(5, 1.5), 3) if kind != "clarify" else round(rng.uniform(0.02, 0.3), 3)
        feedback = rng.choices([None, "useful", "not_useful"], weights=[85, 10, 5])[0] if topic else None
        yield {
            "sender_hash": f"{rng.randrange(count // 5 or 1):064x}",
            "channel": _weighted(rng, CHANNELS),
            "timestamp": now - dt.timedelta(seconds=rng.uniform(0, DAYS * 86400)),
            "user_text": "大学生创业有什么补贴" if topic else "公积金怎么提取",
            "intent": topic or kind, "confidence": confidence, "topic": topic, "kind": kind,
            "verdict": rng.choice([None, "eligible", "not_eligible"]) if kind == "eligibility" else None,
            "departments": json.dumps(["省人社厅", "省财政厅"] if topic else [], ensure_ascii=False),
            "reply_text": "……", "handoff_requested": kind == "handoff", "feedback": feedback,
            "review_status": rng.choices(["unreviewed", "reviewed"], weights=[80, 20])[0],
        }


def seed(database_url: str, count: int, now: dt.datetime) -> float:
    engine = engine_for(database_url)  # runs the migrations
    started = time.perf_counter()
    batch: list[dict] = []
    with engine.begin() as connection:
        for row in generate(count, now):
            batch.append(row)
            if len(batch) == 5000:
                connection.execute(turns.insert(), batch)
                batch = []
        if batch:
            connection.execute(turns.insert(), batch)
    with engine.begin() as connection:
        connection.execute(sa.text("ANALYZE"))
    return time.perf_counter() - started


def median_ms(action: Callable[[], object], repeat: int) -> float:
    action()  # warm the caches once: the figures are for a console in use
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


def cases(today: dt.date, popular: str, rare: str) -> list[tuple[str, TurnFilter]]:
    week_ago = today - dt.timedelta(days=6)
    return [
        ("no filter", TurnFilter()),
        ("channel=sms", TurnFilter(channel="sms")),
        (f"topic={popular} (common)", TurnFilter(topic=popular)),
        (f"topic={rare} (rare)", TurnFilter(topic=rare)),
        ("last 7 days", TurnFilter(date_from=week_ago, date_to=today)),
        ("a day 60 days ago", TurnFilter(date_from=today - dt.timedelta(days=60),
                                         date_to=today - dt.timedelta(days=60))),
        ("confidence < 0.3", TurnFilter(confidence_below=0.3)),
        ("confidence < 0.05 (rare)", TurnFilter(confidence_below=0.05)),
        ("confidence < 0.01 (nothing matches)", TurnFilter(confidence_below=0.01)),
        ("kind=out_of_scope", TurnFilter(kind="out_of_scope")),
        ("kind=clarify", TurnFilter(kind="clarify")),
        ("handoff requested", TurnFilter(handoff=True)),
        ("negative feedback", TurnFilter(negative_feedback=True)),
        ("review_status=unreviewed", TurnFilter(review_status="unreviewed")),
        ("review_status=reviewed", TurnFilter(review_status="reviewed")),
        ("wechat + common topic + unreviewed", TurnFilter(channel="wechat", topic=popular,
                                                          review_status="unreviewed")),
        ("rare topic + negative feedback", TurnFilter(topic=rare, negative_feedback=True)),
        ("last 7 days + negative feedback", TurnFilter(date_from=week_ago, date_to=today, negative_feedback=True)),
    ]


def run(label: str, database_url: str, count: int, repeat: int) -> None:
    now = dt.datetime.now(dt.timezone.utc)
    seconds = seed(database_url, count, now)
    print(f"\n== {label}: {count:,} turns seeded in {seconds:.1f} s (median of {repeat} runs, first page of "
          f"{PAGE_SIZE})")
    topics = [topic.id for topic in known_topics()]
    today = now.astimezone(BEIJING).date()
    for name, turn_filter in cases(today, topics[0], topics[-1]):
        found: list[int] = []

        def first_page(turn_filter: TurnFilter = turn_filter, found: list[int] = found) -> None:
            found[:] = [len(list_turns(database_url, turn_filter, BEIJING, PAGE_SIZE).rows)]

        elapsed = median_ms(first_page, repeat)
        print(f"  {name:<44} {elapsed:8.2f} ms  ({found[0]} rows)")
    with engine_for(database_url).connect() as connection:
        middle = connection.execute(sa.select(turns.c.timestamp, turns.c.id)
                                    .order_by(turns.c.timestamp.desc(), turns.c.id.desc())
                                    .offset(count // 2).limit(1)).one()
        sender = connection.execute(sa.select(turns.c.sender_hash).limit(1)).scalar_one()
    moment = middle.timestamp if middle.timestamp.tzinfo else middle.timestamp.replace(tzinfo=dt.timezone.utc)
    cursor = Cursor(moment, middle.id)
    month, quarter = today - dt.timedelta(days=29), today - dt.timedelta(days=89)
    extras: list[tuple[str, Callable[[], object], int]] = [
        ("page at the middle of the list (keyset)",
         lambda: list_turns(database_url, TurnFilter(), BEIJING, PAGE_SIZE, before=cursor), repeat),
        ("a transcript (one sender, up to 300 turns)", lambda: transcript(database_url, sender, 300), repeat),
        ("dashboard, 30 days", lambda: dashboard.build(database_url, month, today, BEIJING), repeat),
        ("dashboard, 90 days", lambda: dashboard.build(database_url, quarter, today, BEIJING), 1),
    ]
    for name, action, times in extras:
        print(f"  {name:<44} {median_ms(action, times):8.2f} ms")
    started = time.perf_counter()
    exported = sum(len(batch) for batch in iterate_turns(database_url, TurnFilter(), BEIJING, 2000))
    print(f"  {'export scan: every turn, batches of 2000':<44} {(time.perf_counter() - started) * 1000:8.0f} ms"
          f"  ({exported:,} rows)")


@contextmanager
def postgresql_schema(base_url: str) -> Iterator[str]:
    schema = f"chuangye_bench_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(base_url, future=True, poolclass=sa.pool.NullPool)
    with admin.begin() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    url = sa.engine.make_url(base_url).update_query_dict({"options": f"-csearch_path={schema}"})
    rendered = url.render_as_string(hide_password=False)
    try:
        yield rendered
    finally:
        engine_for(rendered).dispose()
        with admin.begin() as connection:
            connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'bench.db'}"
        run("SQLite", url, args.turns, args.repeat)
        engine_for(url).dispose()
    base_url = os.environ.get("TEST_DATABASE_URL", "").strip()
    if not base_url:
        print("\n(PostgreSQL skipped: set TEST_DATABASE_URL to time it too)")
        return 0
    with postgresql_schema(base_url) as url:
        run("PostgreSQL", url, args.turns, args.repeat)
    return 0


if __name__ == "__main__":
    sys.exit(main())
