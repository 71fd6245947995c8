"""Our NLU pipeline against Rasa's default pipeline and a TF-IDF + logistic-regression baseline (figures only).

    .venv/bin/python bench/nlu_bench.py [--reuse] [--files tests/nlu/heldout_*.yml]

Trains, on the same nlu/data examples, ``config.yml`` and ``nlu/experiments/rasa_default.yml`` with
``rasa train nlu`` (each in its own process with an empty Rasa cache, into ``.rasa/bench/``; wall time, CPU time
and peak RSS come from ``os.wait4``), and a plain baseline in this process: TF-IDF over character 1–3-grams and
scikit-learn's LogisticRegression (C picked by 5-fold cross-validation on the training data only; the table
times the final fit). Then scores all three on the held-out files and their typo'd copies (never trained on):
accuracy over the 28 policy topics, macro-F1 over the topics and per topic, out-of-scope recall, overall
accuracy, fallback rate, parse time.

A FallbackClassifier answer (the assistant asks which topic was meant) counts as not correct, as in
``chuangye nlu-eval``. The baseline has no fallback: it always names its most likely intent, which can only
help its accuracy; "fallback ignored" scores every pipeline that way (the classifier's first choice).
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
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bot.nlu_eval import FALLBACK, read_examples, score

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
Predictor = Callable[[str], tuple[str, str]]  # text → (intent, most likely intent other than the fallback)


@dataclass
class Measured:
    """Resources of one training run."""

    seconds: float
    cpu_seconds: float
    peak_rss_mb: float
    returncode: int = 0


@dataclass
class Scores:
    """One pipeline on one group of held-out files."""

    examples: int
    topic_examples: int
    topic_accuracy: float
    topic_top_accuracy: float  # the fallback ignored: is the classifier's first choice right?
    topic_macro_f1: float
    per_topic_f1: dict[str, float]
    out_of_scope_recall: float
    accuracy: float
    fallback_rate: float
    ms_per_message: float


@dataclass
class Result:
    name: str
    training: Measured | None = None
    model_mb: float | None = None
    scores: dict[str, Scores] = field(default_factory=dict)  # "clean" / "typos"


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


def train_rasa_nlu(name: str, config: Path) -> Measured:
    """``rasa train nlu`` into .rasa/bench/NAME.tar.gz with an empty cache of its own (a cold, honest time)."""
    cache_dir = BENCH_DIR / "cache" / name
    shutil.rmtree(cache_dir, ignore_errors=True)
    command = [str(Path(sys.executable).with_name("rasa")), "train", "nlu", "--quiet", "-c", str(config),
               "--nlu", str(DATA_DIR), "--out", str(BENCH_DIR), "--fixed-model-name", name]
    measured = run_measured(command, BENCH_DIR / f"{name}.train.log", rasa_environment(cache_dir))
    if measured.returncode:
        raise SystemExit(f"training {name} failed (exit {measured.returncode}): see {BENCH_DIR / name}.train.log")
    return measured


def training_examples() -> list[tuple[str, str]]:
    """Every (text, intent) of nlu/data: the examples the Rasa pipelines train on."""
    files = sorted((DATA_DIR / "topics").glob("*.yml")) + sorted((DATA_DIR / "conversation").glob("*.yml"))
    return [pair for path in files for pair in read_examples(path)]


def topic_intents() -> set[str]:
    return {intent for path in (DATA_DIR / "topics").glob("*.yml") for _, intent in read_examples(path)}


def train_tfidf(examples: list[tuple[str, str]]) -> tuple[Predictor, Measured, float]:
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

    texts, intents = [text for text, _ in examples], [intent for _, intent in examples]
    pipeline = make_pipeline(TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True),
                             LogisticRegression(max_iter=2000))
    search_started = time.perf_counter()
    search = GridSearchCV(pipeline, {"logisticregression__C": [1.0, 10.0, 100.0]},
                          cv=StratifiedKFold(5, shuffle=True, random_state=42), n_jobs=1, refit=False)
    search.fit(texts, intents)
    search_seconds = time.perf_counter() - search_started
    best_c = search.best_params_["logisticregression__C"]
    print(f"  C={best_c:g} (5-fold CV accuracy on the training data {search.best_score_:.3f}; "
          f"search {search_seconds:.0f} s)", flush=True)
    started, cpu_started = time.perf_counter(), time.process_time()
    model = clone(pipeline).set_params(logisticregression__C=best_c).fit(texts, intents)
    measured = Measured(seconds=time.perf_counter() - started, cpu_seconds=time.process_time() - cpu_started,
                        peak_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)

    def predict(text: str) -> tuple[str, str]:
        intent = str(model.predict([text])[0])
        return intent, intent

    return predict, measured, len(pickle.dumps(model)) / 1e6


def rasa_predictor(model_path: Path) -> Predictor:
    """(intent, most likely intent other than the fallback) according to a trained Rasa model."""
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

    def predict(text: str) -> tuple[str, str]:
        parsed = loop.run_until_complete(agent.parse_message(text))
        intent = parsed["intent"]["name"]
        ranking = [entry["name"] for entry in parsed.get("intent_ranking") or [] if entry["name"] != FALLBACK]
        return intent, ranking[0] if ranking else intent

    return predict


def f1(counts: Counter) -> float:
    precision_base, recall_base = counts["tp"] + counts["fp"], counts["tp"] + counts["fn"]
    precision = counts["tp"] / precision_base if precision_base else 0.0
    recall = counts["tp"] / recall_base if recall_base else 0.0
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def evaluate(examples: list[tuple[str, str]], predict: Predictor, topics: set[str]) -> Scores:
    predictions: dict[str, tuple[str, str]] = {}

    def remembered(text: str) -> str:
        if text not in predictions:
            predictions[text] = predict(text)
        return predictions[text][0]

    report = score("held-out", examples, remembered)
    topic_pairs = [(text, intent) for text, intent in examples if intent in topics]
    per_topic = {topic: f1(report.per_intent.get(topic, Counter())) for topic in sorted(topics)}
    share = (lambda hits: hits / len(topic_pairs)) if topic_pairs else (lambda hits: 0.0)
    return Scores(
        examples=report.total, topic_examples=len(topic_pairs),
        topic_accuracy=share(sum(predictions[text][0] == intent for text, intent in topic_pairs)),
        topic_top_accuracy=share(sum(predictions[text][1] == intent for text, intent in topic_pairs)),
        topic_macro_f1=sum(per_topic.values()) / len(per_topic) if per_topic else 0.0,
        per_topic_f1=per_topic, out_of_scope_recall=report.recall(OUT_OF_SCOPE),
        accuracy=report.accuracy, fallback_rate=report.fallback / report.total if report.total else 0.0,
        ms_per_message=1000 * report.seconds / report.total if report.total else 0.0,
    )


def _cell(value: float | None, digits: int = 3) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def print_tables(results: list[Result], groups: dict[str, list[tuple[str, str]]], topics: set[str]) -> None:
    names = [result.name for result in results]
    header = f"{'':<36}" + "".join(f"{LABELS[name]:>14}" for name in names)
    counts = ", ".join(f"{group}: {len(pairs)} examples, {sum(i in topics for _, i in pairs)} topic questions"
                       for group, pairs in groups.items())
    print(f"\n== NLU on the held-out files ({counts})")
    print(header)
    rows: list[tuple[str, Callable[[Result], float | None], int]] = []
    for group, title in (("clean", "clean"), ("typos", "typo'd")):
        if group not in groups:
            continue
        rows += [
            (f"{title}: topic accuracy", lambda r, g=group: r.scores[g].topic_accuracy, 3),
            (f"{title}: topic acc., fallback ignored", lambda r, g=group: r.scores[g].topic_top_accuracy, 3),
            (f"{title}: topic macro-F1", lambda r, g=group: r.scores[g].topic_macro_f1, 3),
            (f"{title}: out-of-scope recall", lambda r, g=group: r.scores[g].out_of_scope_recall, 3),
            (f"{title}: overall accuracy", lambda r, g=group: r.scores[g].accuracy, 3),
            (f"{title}: fallback rate", lambda r, g=group: r.scores[g].fallback_rate, 3),
        ]
    rows += [
        ("training wall time (s)", lambda r: r.training.seconds if r.training else None, 1),
        ("training CPU time (s)", lambda r: r.training.cpu_seconds if r.training else None, 1),
        ("training peak RSS (MB)", lambda r: r.training.peak_rss_mb if r.training else None, 0),
        ("model size (MB)", lambda r: r.model_mb, 2),
        ("parse time (ms / message)", lambda r: r.scores["clean"].ms_per_message if "clean" in r.scores else None,
         1),
    ]
    for label, value, digits in rows:
        print(f"{label:<36}" + "".join(f"{_cell(value(result), digits):>14}" for result in results))

    columns = [(name, group) for group in groups for name in names]
    print("\n== F1 per policy topic (held-out" + (", then typo'd copy" if "typos" in groups else "") + ")")
    short = {"ours": "ours", "rasa_default": "rasa", "tfidf_lr": "tfidf"}
    print(f"{'topic':<36}{'n':>4}" + "".join(f"{short[name] + (' typo' if group == 'typos' else ''):>11}"
                                            for name, group in columns))
    first_group = next(iter(groups))
    for topic in sorted(topics):
        n = sum(intent == topic for _, intent in groups[first_group])
        print(f"{topic:<36}{n:>4}" + "".join(f"{results[names.index(name)].scores[group].per_topic_f1[topic]:>11.3f}"
                                            for name, group in columns))
    print(f"{'macro-F1 over the topics':<40}" + "".join(
        f"{results[names.index(name)].scores[group].topic_macro_f1:>11.3f}" for name, group in columns))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reuse", action="store_true", help="use the models already in .rasa/bench/")
    parser.add_argument("--files", nargs="*", type=Path,
                        default=sorted(HELDOUT_DIR.glob("heldout_*.yml")), help="held-out NLU files")
    args = parser.parse_args(argv)
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    topics = topic_intents()
    examples = training_examples()
    groups = {
        group: [pair for path in args.files if path.stem.endswith("_typos") == (group == "typos")
                for pair in read_examples(path)]
        for group in ("clean", "typos")
    }
    groups = {group: pairs for group, pairs in groups.items() if pairs}
    print(f"training data: {len(examples)} examples of {len({i for _, i in examples})} intents "
          f"({len(topics)} policy topics); held-out: {', '.join(path.name for path in args.files)}", flush=True)

    results = {name: Result(name) for name in PIPELINES}
    # The baseline first, while this process holds nothing else: its peak RSS is then the baseline's own.
    print("training TF-IDF + LR in this process ...", flush=True)
    tfidf_predict, results["tfidf_lr"].training, results["tfidf_lr"].model_mb = train_tfidf(examples)
    predictors: dict[str, Predictor] = {"tfidf_lr": tfidf_predict}

    for name, config in PIPELINES.items():
        if config is None:
            continue
        model = BENCH_DIR / f"{name}.tar.gz"
        if not (args.reuse and model.exists()):
            print(f"training {name} ({config.relative_to(PROJECT_DIR)}) with `rasa train nlu` ...", flush=True)
            results[name].training = train_rasa_nlu(name, config)
        results[name].model_mb = model.stat().st_size / 1e6

    for name, config in PIPELINES.items():
        if config is not None:
            print(f"loading {name} ...", flush=True)
            predictors[name] = rasa_predictor(BENCH_DIR / f"{name}.tar.gz")
        for group, pairs in groups.items():
            results[name].scores[group] = evaluate(pairs, predictors[name], topics)

    print_tables(list(results.values()), groups, topics)
    return 0


if __name__ == "__main__":
    sys.exit(main())
