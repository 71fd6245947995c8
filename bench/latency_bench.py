"""Full-turn latency and throughput over Rasa's REST channel, our model against Rasa's default pipeline.

    .venv/bin/python bench/latency_bench.py [--users 8] [--seconds 60] [--single-seconds 20] [--rate 100]
                                            [--prod-workers 2] [--models ours ours_prod rasa_default]

Each model runs on its own servers (``bot.server``) on free loopback ports:
- ``ours`` and ``rasa_default``: the development profile (``make run``): one Rasa process, the in-memory lock
  store, a throw-away SQLite database;
- ``ours_prod``: the production profile on one machine (``chuangye serve-prod --replicas 1 --workers N``): one
  Rasa server with N Sanic worker processes, PostgreSQL (a throw-away schema of DATABASE_URL, default the local
  ``test`` database) and the Redis lock store; skipped, with the reason, when either server does not answer.
Each gets one simulated user (the latency of a turn on an idle server), N users sending back to back (capacity,
and latency in the queue), and a paced pass: turns sent at a fixed mean rate (Poisson arrivals, ``--rate`` per
second, each to a conversation whose previous turn has been answered), the latency at that offered load. Each
conversation (a new sender) is a greeting, a policy question, often an eligibility check answered with facts
and yes/no, sometimes "which department", then thanks or goodbye, all taken from the held-out files. A turn is
one POST to ``/webhooks/rest/webhook`` until its reply arrives (NLU, dialogue, the action server, the tracker
store). Prints p50/p95/p99 latency, turns per second, the servers' memory and the CPU per turn of the servers and
of the load generator (this process, on uvloop like the servers; it shares the cores with them); the TF-IDF
baseline has no dialogue (n/a). Rasa's default pipeline needs a full model (NLU and dialogue): it is trained into
``.rasa/bench/`` when missing or older than its inputs, and the time printed. Traffic goes to 127.0.0.1 only;
every loop stops at the deadline. Figures, not pass/fail.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import math
import os
import random
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import uvloop
from nlu_bench import BENCH_DIR, DATA_DIR, HELDOUT_DIR, PROJECT_DIR, Measured, rasa_environment, run_measured

from bot.nlu_eval import read_examples
from bot.server import HOST, free_port, start_servers, stop_servers, wait_until_up

MODELS = {
    "ours": PROJECT_DIR / "models" / "chuangye.tar.gz",
    "ours_prod": PROJECT_DIR / "models" / "chuangye.tar.gz",
    "rasa_default": BENCH_DIR / "rasa_default_full.tar.gz",
}
DEFAULT_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/test"
RASA_DEFAULT_CONFIG = PROJECT_DIR / "nlu" / "experiments" / "rasa_default.yml"
LABELS = {"ours": "config.yml", "ours_prod": "prod", "rasa_default": "Rasa default", "tfidf_lr": "TF-IDF + LR"}
CHANNEL_VARIABLES = ("WECHAT_TOKEN", "TELEGRAM_BOT_TOKEN", "SMS_WEBHOOK_SECRET")  # REST only
CHIT_CHAT = ("greet", "thank", "goodbye", "ask_capabilities")
ELIGIBILITY_ANSWERS = ("inform", "affirm", "deny")
PACED_CONNECTIONS = 64  # enough that a paced turn never waits for a free connection
REST_TOKEN = secrets.token_hex(16)  # this run's REST_API_TOKEN (the production profile serves REST only with one)


@dataclass
class Phrases:
    """Held-out texts by intent: policy questions (any topic) and conversation intents."""

    topics: list[str]
    by_intent: dict[str, list[str]]

    @classmethod
    def load(cls) -> Phrases:
        topics: list[str] = []
        by_intent: dict[str, list[str]] = {}
        for path in sorted(HELDOUT_DIR.glob("heldout_*.yml")):
            if path.stem.endswith("_typos"):
                continue
            for text, intent in read_examples(path):
                if path.stem.startswith("heldout_topics"):
                    topics.append(text)
                else:
                    by_intent.setdefault(intent, []).append(text)
        return cls(topics, by_intent)

    def conversation(self, rng: random.Random) -> list[tuple[str, str]]:
        """One conversation: (kind, text) turns."""
        turns = [("chit-chat", rng.choice(self.by_intent["greet"]))] if rng.random() < 0.6 else []
        turns.append(("policy question", rng.choice(self.topics)))
        if rng.random() < 0.6:
            turns.append(("eligibility", rng.choice(self.by_intent["check_eligibility"])))
            for _ in range(rng.randint(1, 3)):
                turns.append(("eligibility", rng.choice(self.by_intent[rng.choice(ELIGIBILITY_ANSWERS)])))
        if rng.random() < 0.3:
            turns.append(("policy question", rng.choice(self.by_intent["ask_department"])))
        if rng.random() < 0.5:
            turns.append(("policy question", rng.choice(self.topics)))
        turns.append(("chit-chat", rng.choice(self.by_intent[rng.choice(CHIT_CHAT[1:])])))
        return turns


@dataclass
class Load:
    """One measured pass: ``users`` users sending back to back, or (``rate``) turns paced at a mean rate."""

    users: int
    rate: float = 0.0  # paced: turns offered per second; 0: closed loop
    latencies: list[tuple[str, float]] = field(default_factory=list)  # (kind, ms)
    errors: int = 0
    empty_replies: int = 0
    seconds: float = 0.0
    warmup_turns: int = 0  # answered before the measurement (their server CPU is counted too)
    server_cpu_seconds: float | None = None  # Rasa (all workers) + action server, warm-up included
    client_cpu_seconds: float | None = None  # this process: the load generator, warm-up included

    def ms(self, kind: str | None = None) -> list[float]:
        return sorted(ms for k, ms in self.latencies if kind is None or k == kind)

    @property
    def label(self) -> str:
        return f"@{self.rate:g}/s" if self.rate else f"x{self.users}"


@dataclass
class Run:
    """One model on its own pair of servers."""

    name: str
    model: Path
    workers: int = 1  # Sanic worker processes (the production profile)
    loads: list[Load] = field(default_factory=list)
    start_seconds: float = 0.0
    rasa_rss_mb: float | None = None
    action_rss_mb: float | None = None
    training: Measured | None = None


def percentile(values: list[float], share: float) -> float | None:
    """Nearest-rank percentile of sorted ``values``."""
    if not values:
        return None
    rank = max(1, math.ceil(share * len(values)))
    return values[min(rank, len(values)) - 1]



def rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def rasa_default_inputs() -> list[Path]:
    return [RASA_DEFAULT_CONFIG, PROJECT_DIR / "domain.yml", *DATA_DIR.rglob("*.yml"),
            *(PROJECT_DIR / "nlu" / "dictionaries").glob("*")]


def ensure_rasa_default_model() -> Measured | None:
    """Train the full Rasa-default model (NLU + the same rules) when missing or stale; its resources if trained."""
    model = MODELS["rasa_default"]
    if model.exists() and all(path.stat().st_mtime <= model.stat().st_mtime for path in rasa_default_inputs()):
        return None
    name = model.name.removesuffix(".tar.gz")
    cache_dir = BENCH_DIR / "cache" / name
    shutil.rmtree(cache_dir, ignore_errors=True)
    print(f"training {name} (rasa train, NLU + dialogue; Rasa's default pipeline takes many minutes) ...",
          flush=True)
    command = [str(Path(sys.executable).with_name("rasa")), "train", "--quiet", "-c", str(RASA_DEFAULT_CONFIG),
               "--data", str(DATA_DIR), "--domain", str(PROJECT_DIR / "domain.yml"), "--out", str(BENCH_DIR),
               "--fixed-model-name", name]
    measured = run_measured(command, BENCH_DIR / f"{name}.train.log", rasa_environment(cache_dir))
    if measured.returncode:
        raise SystemExit(f"training {name} failed: see {BENCH_DIR / name}.train.log")
    return measured


@contextlib.contextmanager
def output_to(log_path: Path) -> Iterator[None]:
    """Send this process's stdout/stderr (and so the servers', which inherit them) to ``log_path``."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    with log_path.open("ab") as log:
        os.dup2(log.fileno(), 1)
        os.dup2(log.fileno(), 2)
    try:
        yield
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        os.close(saved[0])
        os.close(saved[1])


async def simulate(url: str, phrases: Phrases, load: Load, seconds: float, warmup_turns: int, seed: int) -> None:
    """Warm up, then run ``load`` until the deadline: closed loop (``load.users``) or paced (``load.rate``)."""
    import aiohttp

    run_id = f"{load.label}-{random.Random().getrandbits(32):08x}"  # senders new to the tracker store
    timeout = aiohttp.ClientTimeout(total=60)
    connector = aiohttp.TCPConnector(limit=max(load.users, PACED_CONNECTIONS if load.rate else 1), force_close=True)
    async with aiohttp.ClientSession(timeout=timeout, connector=connector,
                                     headers={"Authorization": f"Bearer {REST_TOKEN}"}) as session:

        async def turn(sender: str, kind: str, text: str) -> None:
            sent = time.perf_counter()
            try:
                async with session.post(url, json={"sender": sender, "message": text}) as response:
                    body = await response.json(content_type=None) if response.status == 200 else None
                    ok = response.status == 200
            except (aiohttp.ClientError, asyncio.TimeoutError):
                ok, body = False, None
            if not ok:
                load.errors += 1
                return
            load.latencies.append((kind, 1000 * (time.perf_counter() - sent)))
            load.empty_replies += not body

        async def warm_up(user: int) -> None:
            rng = random.Random(seed - user - 1)
            for number in range(warmup_turns):
                await turn(f"warmup-{run_id}-{user}-{number}", "warm-up", rng.choice(phrases.topics))

        await asyncio.gather(*(warm_up(user) for user in range(max(load.users, 2))))
        load.warmup_turns = len(load.latencies)
        load.latencies.clear()
        load.errors = load.empty_replies = 0
        started = time.perf_counter()
        deadline = started + seconds
        if load.rate:
            await _paced(turn, phrases, load.rate, deadline, random.Random(seed), run_id)
        else:
            await _closed_loop(turn, phrases, load.users, deadline, seed, run_id)
        load.seconds = time.perf_counter() - started


Turn = Callable[[str, str, str], Awaitable[None]]  # (sender, kind, text) → measured into the Load


async def _closed_loop(turn: Turn, phrases: Phrases, users: int, deadline: float, seed: int, run_id: str) -> None:
    """``users`` users each hold conversations back to back (no pause) until the deadline."""

    async def user_loop(user: int) -> None:
        rng = random.Random(seed + user)
        conversation_number = 0
        while time.perf_counter() < deadline:
            conversation_number += 1
            sender = f"bench-{run_id}-{user}-{conversation_number}"
            for kind, text in phrases.conversation(rng):
                if time.perf_counter() >= deadline:
                    return
                await turn(sender, kind, text)

    await asyncio.gather(*(user_loop(user) for user in range(users)))


async def _paced(turn: Turn, phrases: Phrases, rate: float, deadline: float, rng: random.Random,
                 run_id: str) -> None:
    """Send turns at a mean ``rate`` per second (Poisson arrivals) until the deadline, each to a conversation
    whose previous turn has been answered (a new conversation when none is waiting); then wait for the last."""
    waiting: collections.deque[tuple[str, list[tuple[str, str]]]] = collections.deque()
    in_flight: set[asyncio.Task] = set()
    started_conversations = 0

    async def send(sender: str, turns: list[tuple[str, str]]) -> None:
        kind, text = turns[0]
        await turn(sender, kind, text)
        if len(turns) > 1:
            waiting.append((sender, turns[1:]))

    next_send = time.perf_counter()
    while True:
        next_send += rng.expovariate(rate)
        if next_send >= deadline:
            break
        await asyncio.sleep(max(0.0, next_send - time.perf_counter()))
        if waiting:
            sender, turns = waiting.popleft()
        else:
            started_conversations += 1
            sender, turns = f"paced-{run_id}-{started_conversations}", phrases.conversation(rng)
        task = asyncio.create_task(send(sender, turns))
        in_flight.add(task)
        task.add_done_callback(in_flight.discard)
    if in_flight:
        await asyncio.wait(in_flight, timeout=60)


@contextlib.contextmanager
def profile_environment(run: Run, temporary: Path, database_url: str) -> Iterator[tuple[dict[str, str], str]]:
    """The servers' environment and endpoints file for ``run``: SQLite and one process (development profile),
    or a throw-away PostgreSQL schema, Redis and ``run.workers`` Sanic workers (production profile)."""
    rest_only = {**{name: "" for name in CHANNEL_VARIABLES}, "REST_API_TOKEN": REST_TOKEN}
    if run.name != "ours_prod":
        yield {"DATABASE_URL": f"sqlite:///{temporary / 'bench.db'}", **rest_only}, "endpoints.yml"
        return
    from bot.prod import ENDPOINTS_FILE, prepare_database, prod_environment
    from bot.storage.scratch_schema import postgresql_schema_url, throwaway_schema

    with throwaway_schema(database_url, prefix="chuangye_bench") as schema:
        url = postgresql_schema_url(database_url, schema)
        prepare_database(url)
        environment = {**prod_environment(url, run.workers), "REDIS_KEY_PREFIX": f"bench{schema[-12:]}"}
        yield {**environment, **rest_only}, ENDPOINTS_FILE


def measure(run: Run, phrases: Phrases, passes: list[Load], seconds: dict[int, float], warmup_turns: int,
            seed: int, database_url: str) -> None:
    """Start the servers for ``run``, measure each pass in turn (``seconds`` by users, 0 = paced), stop them."""
    rasa_port, action_port = free_port(), free_port()
    log_path = BENCH_DIR / f"latency_{run.name}.server.log"
    log_path.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory(prefix="chuangye-bench-") as temporary, \
            profile_environment(run, Path(temporary), database_url) as (environment, endpoints):
        started = time.perf_counter()
        with output_to(log_path):
            processes = start_servers(run.model, rasa_port, action_port, environment, endpoints=endpoints)
        try:
            if not wait_for(processes, [f"http://{HOST}:{action_port}/health", f"http://{HOST}:{rasa_port}/"]):
                raise SystemExit(f"the servers for {run.name} did not come up: see {log_path}")
            run.start_seconds = time.perf_counter() - started
            url = f"http://{HOST}:{rasa_port}/webhooks/rest/webhook"
            server_pids = [processes[0].pid, *process_tree(processes[1].pid)]
            for load in passes:
                print(f"  {load.label} for {seconds[load.users]:g} s ...", flush=True)
                cpu_before, client_before = cpu_seconds(server_pids), time.process_time()
                uvloop.run(simulate(url, phrases, load, seconds[load.users], warmup_turns, seed))
                load.server_cpu_seconds = cpu_seconds(server_pids) - cpu_before
                load.client_cpu_seconds = time.process_time() - client_before
                run.loads.append(load)
            run.action_rss_mb = rss_mb(processes[0].pid)
            run.rasa_rss_mb = sum(filter(None, (rss_mb(pid) for pid in process_tree(processes[1].pid))))
        finally:
            with output_to(log_path):
                stop_servers(processes)
            (PROJECT_DIR / "var" / f"credentials.{rasa_port}.yml").unlink(missing_ok=True)


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time used so far by ``pids`` (from /proc; 0 for a process that is gone)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
    return total


def process_tree(pid: int) -> list[int]:
    """``pid`` and its children (Sanic's worker processes)."""
    children = Path(f"/proc/{pid}/task/{pid}/children")
    try:
        return [pid, *(int(child) for child in children.read_text().split())]
    except OSError:
        return [pid]


def wait_for(processes: list[subprocess.Popen], urls: list[str], timeout_seconds: float = 300) -> bool:
    """True when every URL answers; False as soon as a server exits or the time is up."""
    deadline = time.monotonic() + timeout_seconds
    for url in urls:
        while not wait_until_up(url, timeout_seconds=2):
            if time.monotonic() > deadline or any(process.poll() is not None for process in processes):
                return False
    return True


def _cell(value: float | None, digits: int = 1) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def server_cpu_per_turn(load: Load) -> float | None:
    """CPU time of the Rasa and action servers per answered turn (warm-up turns counted as turns too)."""
    return _per_turn(load, load.server_cpu_seconds)


def client_cpu_per_turn(load: Load) -> float | None:
    """CPU time of the load generator (this process) per answered turn, on the same cores as the servers."""
    return _per_turn(load, load.client_cpu_seconds)


def _per_turn(load: Load, cpu_seconds: float | None) -> float | None:
    turns = len(load.latencies) + load.warmup_turns
    return 1000 * cpu_seconds / turns if cpu_seconds is not None and turns else None


def run_label(run: Run) -> str:
    return f"{LABELS[run.name]} {run.workers}w" if run.name == "ours_prod" else LABELS[run.name]


def machine_speed_seconds(additions: int = 10_000_000) -> float:
    """CPU seconds of a plain Python loop of ``additions`` additions on one core: how fast this machine is today.

    The machines vary from day to day (the same commit has measured 9 and 28 ms of server CPU per turn on two
    days); figures from two runs compare only when this figure is close.
    """
    started, total = time.process_time(), 0
    for number in range(additions):
        total += number
    return time.process_time() - started


def print_table(runs: list[Run]) -> None:
    columns = [(run, load) for run in runs for load in run.loads]
    print(f"\n== Full turn over REST (loopback, {os.cpu_count()} CPUs shared by the client, the servers and, for "
          "prod, PostgreSQL and Redis; xN: N users send back to back; @R/s: turns paced at R per second)")
    print(f"this machine now: a Python loop of 10 million additions takes {machine_speed_seconds():.2f} s of CPU")
    print(f"{'':<34}" + "".join(f"{run_label(run) + ' ' + load.label:>17}" for run, load in columns)
          + f"{LABELS['tfidf_lr']:>17}")
    per_load: list[tuple[str, Callable[[Load], float | None] | str | None, int]] = [
        ("turns measured", lambda load: float(len(load.latencies)), 0),
        ("errors / empty replies", None, 0),
        ("p50 (ms)", lambda load: percentile(load.ms(), 0.50), 1),
        ("p95 (ms)", lambda load: percentile(load.ms(), 0.95), 1),
        ("p99 (ms)", lambda load: percentile(load.ms(), 0.99), 1),
        ("mean (ms)", lambda load: statistics.fmean(load.ms()) if load.latencies else None, 1),
        ("turns / s", lambda load: len(load.latencies) / load.seconds if load.seconds else None, 1),
        ("server CPU per turn (ms)", server_cpu_per_turn, 1),
        ("load generator CPU per turn (ms)", client_cpu_per_turn, 1),
        ("policy question p50/p95 (ms)", "policy question", 0),
        ("eligibility p50/p95 (ms)", "eligibility", 0),
        ("chit-chat p50/p95 (ms)", "chit-chat", 0),
    ]
    for label, value, digits in per_load:
        cells = []
        for _, load in columns:
            if value is None:
                cells.append(f"{load.errors} / {load.empty_replies}")
            elif isinstance(value, str):
                ms = load.ms(value)
                cells.append(f"{_cell(percentile(ms, 0.5))}/{_cell(percentile(ms, 0.95))}" if ms else "n/a")
            else:
                cells.append(_cell(value(load), digits))
        print(f"{label:<34}" + "".join(f"{cell:>17}" for cell in cells) + f"{'n/a':>17}")
    per_run: list[tuple[str, Callable[[Run], float | None], int]] = [
        ("start-up until ready (s)", lambda run: run.start_seconds, 1),
        ("Rasa server RSS after (MB)", lambda run: run.rasa_rss_mb, 0),
        ("action server RSS after (MB)", lambda run: run.action_rss_mb, 0),
        ("full-model training (s)", lambda run: run.training.seconds if run.training else None, 1),
        ("full-model training peak RSS (MB)", lambda run: run.training.peak_rss_mb if run.training else None, 0),
    ]
    for label, value, digits in per_run:
        cells = [_cell(value(run), digits) if load is run.loads[0] else "" for run, load in columns]
        print(f"{label:<34}" + "".join(f"{cell:>17}" for cell in cells) + f"{'n/a':>17}")
    print("With N users sending back to back, mean latency ≈ N / (turns per second): the x1 column is the latency "
          "of a turn on an idle server, the widest column the capacity and the latency under that queue; the paced "
          "column the latency at that offered load (its turns/s: what was answered). "
          "full-model training: n/a when the model in .rasa/bench/ was up to date.")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=8, help="simulated users talking at once")
    parser.add_argument("--seconds", type=float, default=60.0, help="measured time of the N-user and paced passes")
    parser.add_argument("--single-seconds", type=float, default=20.0,
                        help="measured time of a one-user pass first (0: none)")
    parser.add_argument("--rate", type=float, default=100.0, help="turns per second of the paced pass (0: none)")
    parser.add_argument("--prod-workers", type=int, default=2,
                        help="Sanic worker processes of the production-profile run (ours_prod)")
    parser.add_argument("--warmup-turns", type=int, default=3, help="unmeasured turns per user first")
    parser.add_argument("--models", nargs="*", choices=list(MODELS), default=list(MODELS))
    parser.add_argument("--seed", type=int, default=2015)
    args = parser.parse_args(argv)
    if args.users < 1 or args.seconds <= 0 or args.rate < 0 or args.prod_workers < 1:
        parser.error("--users and --prod-workers must be at least 1, --seconds positive, --rate not negative")
    database_url = os.environ.get("DATABASE_URL", "").strip()
    if not database_url.startswith("postgresql"):
        database_url = DEFAULT_DATABASE_URL
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    phrases = Phrases.load()
    runs = []
    for name in args.models:
        run = Run(name, MODELS[name], workers=args.prod_workers if name == "ours_prod" else 1)
        if name == "ours_prod" and (reason := prod_unavailable(database_url)):
            print(f"skipping the production profile: {reason}", flush=True)
            continue
        if name == "rasa_default":
            run.training = ensure_rasa_default_model()
        if not run.model.exists():
            raise SystemExit(f"no model at {run.model}: run `make train` first")
        passes = [Load(1)] if args.single_seconds > 0 and args.users != 1 else []
        passes.append(Load(args.users))
        if args.rate:
            passes.append(Load(0, rate=args.rate))
        seconds = {1: args.single_seconds, args.users: args.seconds, 0: args.seconds}
        print(f"measuring {run_label(run)} ({run.model.relative_to(PROJECT_DIR)}) ...", flush=True)
        measure(run, phrases, passes, seconds, args.warmup_turns, args.seed, database_url)
        runs.append(run)
    print_table(runs)
    return 0


def prod_unavailable(database_url: str) -> str | None:
    """Why the production profile cannot be measured here (PostgreSQL or Redis do not answer), or None."""
    from bot.prod import ProdProfileError, check_backends, redis_environment

    try:
        check_backends(database_url, redis_environment())
    except ProdProfileError as error:
        return str(error)
    return None


if __name__ == "__main__":
    sys.exit(main())
