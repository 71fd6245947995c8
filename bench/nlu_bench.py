"""Our NLU pipeline against Rasa's default pipeline and a TF-IDF + logistic-regression baseline (figures only).

    .venv/bin/python bench/nlu_bench.py [--reuse] [--files tests/nlu/heldout_*.yml]

Trains ``config.yml`` on nlu/data (two axes: the act as intent, the topic from the blocks' metadata), and, on the
same examples with one flat label each (the topic where there is one, else the act: what a single intent list
would have), ``nlu/experiments/rasa_default.yml`` with ``rasa train nlu`` (each in its own process with an empty
Rasa cache, into ``.rasa/bench/``; wall time, CPU time and peak RSS from ``os.wait4``) and a plain baseline in
this process: TF-IDF over character 1–3-grams and scikit-learn's LogisticRegression (C picked by 5-fold
cross-validation on the training data only; the table times the final fit). A flat label is read back as two
axes: a topic label means "ask_policy" about that topic.

Then scores all three on the held-out files and their typo'd copies (never trained on), per axis as
``chuangye nlu-eval`` does: topic accuracy (the right topic, and neither sent out of scope nor asked back), act
accuracy, out-of-scope recall, the share of policy questions called out of scope, English topic accuracy,
fallback rate, parse time. The aspect axis comes with the issue on answers (not yet predicted).
``--reuse`` skips training when the models are already in ``.rasa/bench/`` (no training figures then).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bot.nlu_eval import NO_TOPIC, Example, Prediction, prediction_from_parse, read_labelled, score

PROJECT_DIR = Path(__file__).resolve().parent.parent
BENCH_DIR = PROJECT_DIR / ".rasa" / "bench"
DATA_DIR = PROJECT_DIR / "nlu" / "data"
HELDOUT_DIR = PROJECT_DIR / "tests" / "nlu"
OUT_OF_SCOPE = "out_of_scope"

PIPELINES = {  # name → Rasa config (None: the in-process TF-IDF baseline)
    "ours": PROJECT_DIR / "config.yml",
    "rasa_default": PROJECT_DIR / "nlu" / "experiments" / "rasa_default.yml",
    "tfidf_lr": None,
}
LABELS = {"ours": "config.yml", "rasa_default": "Rasa default", "tfidf_lr": "TF-IDF + LR"}
Predictor = Callable[[str], Prediction]
FLAT_DATA = BENCH_DIR / "flat_data" / "nlu.yml"


@dataclass
class Measured:
    """Resources of one training run."""

    seconds: float
    cpu_seconds: float
    peak_rss_mb: float
    returncode: int = 0


@dataclass
class Result:
    name: str
    training: Measured | None = None
    model_mb: float | None = None
    scores: dict[str, dict] = field(default_factory=dict)  # "clean" / "typos" → nlu_eval's report


def rasa_environment(cache_dir: Path) -> dict[str, str]:
    return {**os.environ, "RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "2",
            "SQLALCHEMY_SILENCE_UBER_WARNING": "1", "RASA_CACHE_DIRECTORY": str(cache_dir)}


def run_measured(command: Sequence[str], log_path: Path, environment: dict[str, str]) -> Measured:
    """Run ``command`` (output to ``log_path``); wall time, CPU time and peak RSS of it and its children."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, cwd=PROJECT_DIR, env=environment, stdout=log, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    return Measured(seconds=time.perf_counter() - started, cpu_seconds=usage.ru_utime + usage.ru_stime,
                    peak_rss_mb=usage.ru_maxrss / 1024, returncode=process.returncode)


def train_rasa_nlu(name: str, config: Path, data: Path) -> Measured:
    """``rasa train nlu`` into .rasa/bench/NAME.tar.gz with an empty cache of its own (a cold, honest time)."""
    cache_dir = BENCH_DIR / "cache" / name
    shutil.rmtree(cache_dir, ignore_errors=True)
    command = [str(Path(sys.executable).with_name("rasa")), "train", "nlu", "--quiet", "-c", str(config),
               "--nlu", str(data), "--out", str(BENCH_DIR), "--fixed-model-name", name]
    measured = run_measured(command, BENCH_DIR / f"{name}.train.log", rasa_environment(cache_dir))
    if measured.returncode:
        raise SystemExit(f"training {name} failed (exit {measured.returncode}): see {BENCH_DIR / name}.train.log")
    return measured


def training_examples() -> list[Example]:
    """Every labelled example of nlu/data: what the Rasa pipelines train on."""
    files = sorted((DATA_DIR / "topics").glob("*.yml")) + sorted((DATA_DIR / "conversation").glob("*.yml"))
    return [example for path in files for example in read_labelled(path)]


def write_flat_data(examples: list[Example]) -> Path:
    """The same examples with one flat label each, as Rasa NLU YAML, for the pipelines of one intent list."""
    by_label: dict[str, list[str]] = {}
    for example in examples:
        by_label.setdefault(example.flat_label, []).append(example.text)
    lines = ['version: "3.1"', "nlu:"]
    for label, texts in by_label.items():
        lines += [f"- intent: {label}", "  examples: |"]
        lines += [f"    - {text}" for text in texts]
    FLAT_DATA.parent.mkdir(parents=True, exist_ok=True)
    FLAT_DATA.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return FLAT_DATA.parent


def from_flat(label: str, topics: set[str]) -> Prediction:
    """A flat label read as the two axes: a topic means a policy question about it."""
    return Prediction("ask_policy", label) if label in topics else Prediction(label, NO_TOPIC)


def train_tfidf(examples: list[Example], topics: set[str]) -> tuple[Predictor, Measured, float]:
    """The baseline, trained in this process; returns its predictor, resources and pickled size in MB.

    C is chosen by 5-fold cross-validation on the training data (printed, with its time); the table's training
    time is the fit of the final model.
    """
    import pickle

    from sklearn.base import clone
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GridSearchCV, StratifiedKFold
    from sklearn.pipeline import make_pipeline

    texts, labels = [example.text for example in examples], [example.flat_label for example in examples]
    pipeline = make_pipeline(TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True),
                             LogisticRegression(max_iter=2000))
    search_started = time.perf_counter()
    search = GridSearchCV(pipeline, {"logisticregression__C": [1.0, 10.0, 100.0]},
                          cv=StratifiedKFold(5, shuffle=True, random_state=42), n_jobs=1, refit=False)
    search.fit(texts, labels)
    search_seconds = time.perf_counter() - search_started
    best_c = search.best_params_["logisticregression__C"]
    print(f"  C={best_c:g} (5-fold CV accuracy on the training data {search.best_score_:.3f}; "
          f"search {search_seconds:.0f} s)", flush=True)
    started, cpu_started = time.perf_counter(), time.process_time()
    model = clone(pipeline).set_params(logisticregression__C=best_c).fit(texts, labels)
    measured = Measured(seconds=time.perf_counter() - started, cpu_seconds=time.process_time() - cpu_started,
                        peak_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)

    def predict(text: str) -> Prediction:
        return from_flat(str(model.predict([text])[0]), topics)

    return predict, measured, len(pickle.dumps(model)) / 1e6


def rasa_predictor(model_path: Path, topics: set[str], flat: bool) -> Predictor:
    """Act and topic of a text according to a trained Rasa model (a flat model's intent read as both)."""
    import asyncio
    import contextlib

    from bot import performance
    from bot.assistant import quiet_libraries

    quiet_libraries()
    performance.install()  # as the server runs it: the same parses (tests/test_performance.py), less time
    from rasa.core.agent import Agent

    with contextlib.redirect_stdout(sys.stderr):
        agent = Agent.load(str(model_path))
    loop = asyncio.new_event_loop()

    def predict(text: str) -> Prediction:
        parsed = loop.run_until_complete(agent.parse_message(text))
        return from_flat(parsed["intent"]["name"], topics) if flat else prediction_from_parse(parsed)

    return predict


def _cell(value: float | None, digits: int = 3) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


ROWS = (("topic accuracy", "topic_accuracy"), ("act accuracy", "act_accuracy"),
        ("out-of-scope recall", "out_of_scope_recall"),
        ("policy questions sent out of scope", "policy_to_out_of_scope"),
        ("English topic accuracy", "english_topic_accuracy"), ("fallback rate", "fallback_rate"))


def print_tables(results: list[Result], groups: dict[str, list[Example]]) -> None:
    names = [result.name for result in results]
    header = f"{'':<46}" + "".join(f"{LABELS[name]:>14}" for name in names)
    counts = ", ".join(f"{group}: {len(examples)} examples, {sum(e.topic != NO_TOPIC for e in examples)} with a topic"
                       for group, examples in groups.items())
    print(f"\n== NLU on the held-out files ({counts})")
    print(header)
    rows: list[tuple[str, Callable[[Result], float | None], int]] = []
    for group, title in (("clean", "clean"), ("typos", "typo'd")):
        if group in groups:
            rows += [(f"{title}: {label}", lambda r, g=group, k=key: r.scores[g][k], 3) for label, key in ROWS]
    rows += [
        ("training wall time (s)", lambda r: r.training.seconds if r.training else None, 1),
        ("training CPU time (s)", lambda r: r.training.cpu_seconds if r.training else None, 1),
        ("training peak RSS (MB)", lambda r: r.training.peak_rss_mb if r.training else None, 0),
        ("model size (MB)", lambda r: r.model_mb, 2),
        ("parse time (ms / message)", lambda r: r.scores["clean"]["ms_per_message"] if "clean" in r.scores
         else None, 1),
    ]
    for label, value, digits in rows:
        print(f"{label:<46}" + "".join(f"{_cell(value(result), digits):>14}" for result in results))
    for result in results:
        print(f"\n{LABELS[result.name]}, most frequent misses (clean): "
              + "; ".join(result.scores["clean"]["top_confusions"][:6]))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reuse", action="store_true", help="use the models already in .rasa/bench/")
    parser.add_argument("--files", nargs="*", type=Path,
                        default=sorted(HELDOUT_DIR.glob("heldout_*.yml")), help="held-out NLU files")
    args = parser.parse_args(argv)
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    examples = training_examples()
    topics = {example.topic for example in examples} - {NO_TOPIC}
    flat_data = write_flat_data(examples)
    groups = {
        group: [example for path in args.files if path.stem.endswith("_typos") == (group == "typos")
                for example in read_labelled(path)]
        for group in ("clean", "typos")
    }
    groups = {group: found for group, found in groups.items() if found}
    print(f"training data: {len(examples)} examples, {len({e.act for e in examples})} acts, {len(topics)} "
          f"policy topics; held-out: {', '.join(path.name for path in args.files)}", flush=True)

    results = {name: Result(name) for name in PIPELINES}
    # The baseline first, while this process holds nothing else: its peak RSS is then the baseline's own.
    print("training TF-IDF + LR in this process ...", flush=True)
    tfidf_predict, results["tfidf_lr"].training, results["tfidf_lr"].model_mb = train_tfidf(examples, topics)
    predictors: dict[str, Predictor] = {"tfidf_lr": tfidf_predict}

    for name, config in PIPELINES.items():
        if config is None:
            continue
        model = BENCH_DIR / f"{name}.tar.gz"
        if not (args.reuse and model.exists()):
            print(f"training {name} ({config.relative_to(PROJECT_DIR)}) with `rasa train nlu` ...", flush=True)
            results[name].training = train_rasa_nlu(name, config, DATA_DIR if name == "ours" else flat_data)
        results[name].model_mb = model.stat().st_size / 1e6

    for name, config in PIPELINES.items():
        if config is not None:
            print(f"loading {name} ...", flush=True)
            predictors[name] = rasa_predictor(BENCH_DIR / f"{name}.tar.gz", topics, flat=name != "ours")
        for group, found in groups.items():
            results[name].scores[group] = score(group, found, predictors[name]).as_json()

    print_tables(list(results.values()), groups)
    return 0


if __name__ == "__main__":
    sys.exit(main())
