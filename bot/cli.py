"""The ``chuangye`` command: knowledge-base queries, eligibility checks and the assistant itself."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from policy_kb.dictionary import render_dictionary
from policy_kb.engine import NoRuleError, evaluate, has_rules
from policy_kb.facts import FactError, parse_fact_value
from policy_kb.loader import KnowledgeBase, KnowledgeBaseError, get_knowledge_base
from policy_kb.parks import find_parks

PROJECT_DIR = Path(__file__).resolve().parent.parent
DICTIONARY_PATH = PROJECT_DIR / "nlu" / "dictionaries" / "userdict.txt"


def _print_json(data: object) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2))


def kb_list(kb: KnowledgeBase, args: argparse.Namespace) -> int:
    rows = [
        {
            "id": topic.id,
            "title": topic.title,
            "section": topic.section,
            "departments": list(topic.departments),
            "has_eligibility_rules": has_rules(topic.id),
        }
        for topic in kb.topics.values()
    ]
    if args.json:
        _print_json(rows)
    else:
        for row in rows:
            print(f"{row['id']:<36} {row['section']:<12} {row['title']}  [{row['departments'][0]}牵头]")
    return 0


def kb_show(kb: KnowledgeBase, args: argparse.Namespace) -> int:
    """The answer a user gets for the topic, or the topic's record with --json."""
    topic = kb.topic(args.topic)
    if args.json:
        _print_json({
            "id": topic.id, "title": topic.title, "section": topic.section,
            "section_title": topic.section_title, "summary": topic.summary, "who": list(topic.who),
            "benefits": list(topic.benefits), "quotes": list(topic.quotes),
            "status_notes": [{"quote": n.quote, "note": n.note} for n in topic.status_notes],
            "not_in_document": list(topic.not_in_document), "departments": list(topic.departments),
            "source": kb.document.citation,
        })
        return 0
    from actions.replies import full_card

    print(full_card(topic, "zh"))
    return 0


def kb_check(kb: KnowledgeBase, args: argparse.Namespace) -> int:
    facts: dict[str, object] = {}
    for assignment in [*args.facts, *args.fact]:
        name, separator, raw = assignment.partition("=")
        if not separator:
            raise FactError(f"expected NAME=VALUE, got {assignment!r}")
        if name not in kb.facts:
            raise FactError(f"unknown fact {name!r}; known facts: {', '.join(kb.facts)}")
        facts[name] = parse_fact_value(kb.facts[name], raw)
    result = evaluate(args.topic, facts, kb)
    if args.json:
        _print_json(result.to_dict())
        return 0
    print(f"结论：{result.verdict}")
    for rule in result.rules:
        print(f"- {rule.title}：{rule.verdict}")
        for condition in rule.conditions:
            print(f"    [{condition.status}] {condition.wording} {condition.explanation}")
    if result.next_question:
        print(f"下一个问题（{result.next_fact}）：{result.next_question}")
    for change in result.what_would_change:
        print(f"怎样才能符合：{change}")
    return 0


def kb_parks(kb: KnowledgeBase, args: argparse.Namespace) -> int:
    parks = find_parks(args.query, kb.parks, limit=args.limit)
    if args.json:
        _print_json([{"name": p.name, "city": p.city, "industries": list(p.industries), "section": p.section}
                     for p in parks])
        return 0
    if not parks:
        print("没有找到对应的园区：文件列出的园区见 专栏2（示范园）和 专栏3（大学科技园）。")
        return 0
    for park in parks:
        print(f"{park.name}（{park.city}；{park.section}）：{'、'.join(park.industries)}")
    return 0


def kb_departments(kb: KnowledgeBase, args: argparse.Namespace) -> int:
    rows = [{"short": d.short, "full": d.full, "aliases": list(d.aliases), "joint_meeting_role": d.joint_meeting_role}
            for d in kb.departments.values()]
    if args.json:
        _print_json(rows)
    else:
        for row in rows:
            print(f"{row['short']:<12} {row['full']}  {row['joint_meeting_role'] or ''}")
    return 0


def kb_dictionary(kb: KnowledgeBase, args: argparse.Namespace) -> int:
    text = render_dictionary(kb)
    if not args.write:
        sys.stdout.write(text)
        return 0
    DICTIONARY_PATH.parent.mkdir(parents=True, exist_ok=True)
    if DICTIONARY_PATH.exists() and DICTIONARY_PATH.read_text(encoding="utf-8") == text:
        return 0  # unchanged: keep the file's time so make does not retrain
    DICTIONARY_PATH.write_text(text, encoding="utf-8")
    print(f"wrote {DICTIONARY_PATH.relative_to(PROJECT_DIR)} ({text.count(chr(10))} words)")
    return 0


def run_chat(kb: KnowledgeBase, args: argparse.Namespace) -> int:
    from bot.conversation_cli import chat

    return chat()


def run_ask(kb: KnowledgeBase, args: argparse.Namespace) -> int:
    from bot.conversation_cli import ask

    if not args.jsonl and not args.text:
        raise UsageError('give a question, e.g. chuangye ask "大学生创业有补贴吗", or use --jsonl')
    return ask(args.text, args.jsonl)


def run_nlu_eval(kb: KnowledgeBase, args: argparse.Namespace) -> int:
    from bot.nlu_eval import run

    if not args.model.exists():
        raise FileNotFoundError(f"no trained model at {args.model}: run `make train` first")
    return run(args.model, args.files, args.json)


def run_console(kb: KnowledgeBase, args: argparse.Namespace) -> int:
    from bot.console.cli import serve_console

    return serve_console(args.host, args.port)


def run_staff_add(kb: KnowledgeBase, args: argparse.Namespace) -> int:
    from bot.console.cli import staff_add

    return staff_add(args)


def run_export_nlu(kb: KnowledgeBase, args: argparse.Namespace) -> int:
    from bot.console.cli import export_nlu

    return export_nlu(args.out)


def run_retention(kb: KnowledgeBase, args: argparse.Namespace) -> int:
    from bot.settings import load_settings
    from bot.storage.retention import purge

    settings = load_settings()
    days = args.days if args.days is not None else settings.retention_days
    if days < 1:
        raise UsageError("--days must be at least 1")
    print(json.dumps({"days": days, "deleted": purge(settings.database_url, days)}, ensure_ascii=False))
    return 0


def run_telegram_poll(kb: KnowledgeBase, args: argparse.Namespace) -> int:
    import logging

    from bot.channels.telegram_poll import poll
    from bot.settings import load_settings

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    return poll(load_settings())


def run_serve(kb: KnowledgeBase, args: argparse.Namespace) -> int:
    from bot.server import serve

    return serve()


def run_serve_prod(kb: KnowledgeBase, args: argparse.Namespace) -> int:
    from bot.prod import ProdProfileError, serve_prod

    try:
        return serve_prod(args.replicas, args.port, args.workers)
    except ProdProfileError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


class UsageError(ValueError):
    """The command line is incomplete."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="chuangye", description="创业助手 chuangye-bot")
    commands = parser.add_subparsers(dest="command", required=True)

    kb = commands.add_parser("kb", help="query the policy knowledge base").add_subparsers(dest="kb_command",
                                                                                         required=True)
    listing = kb.add_parser("list", help="every topic: id, title, section, departments (lead first)")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(handler=kb_list)

    show = kb.add_parser("show", help="one topic in full")
    show.add_argument("topic")
    show.add_argument("--json", action="store_true")
    show.set_defaults(handler=kb_show)

    check = kb.add_parser("check", help="eligibility verdict for a topic, e.g. in_gansu=yes years_since_graduation=3")
    check.add_argument("topic")
    check.add_argument("facts", nargs="*", metavar="NAME=VALUE")
    check.add_argument("--fact", action="append", default=[], metavar="NAME=VALUE", help="a fact (repeatable)")
    check.add_argument("--json", action="store_true")
    check.set_defaults(handler=kb_check)

    parks = kb.add_parser("parks", help="parks that fit a business, e.g. 碳纤维")
    parks.add_argument("query")
    parks.add_argument("--limit", type=int, default=3)
    parks.add_argument("--json", action="store_true")
    parks.set_defaults(handler=kb_parks)

    departments = kb.add_parser("departments", help="the department directory")
    departments.add_argument("--json", action="store_true")
    departments.set_defaults(handler=kb_departments)

    dictionary = kb.add_parser("dictionary", help="the jieba user dictionary built from the knowledge base")
    dictionary.add_argument("--write", action="store_true", help=f"write it to {DICTIONARY_PATH.name}")
    dictionary.set_defaults(handler=kb_dictionary)

    chat = commands.add_parser("chat", help="chat with the assistant in this terminal")
    chat.set_defaults(handler=run_chat)

    ask = commands.add_parser("ask", help='print the reply to "问题"; --jsonl reads one message per stdin line')
    ask.add_argument("text", nargs="*")
    ask.add_argument("--jsonl", action="store_true",
                     help='stdin lines: plain text (each a new conversation) or {"sender": ..., "text": ...}')
    ask.set_defaults(handler=run_ask)

    evaluation = commands.add_parser("nlu-eval", help="intent accuracy of the trained model on held-out files")
    evaluation.add_argument("files", nargs="*", type=Path,
                            default=sorted((PROJECT_DIR / "tests" / "nlu").glob("heldout_*.yml")))
    evaluation.add_argument("--model", type=Path, default=PROJECT_DIR / "models" / "chuangye.tar.gz")
    evaluation.add_argument("--json", action="store_true")
    evaluation.set_defaults(handler=run_nlu_eval)

    console = commands.add_parser("console", help="the staff review console (http://127.0.0.1:8080)")
    console.add_argument("--host", default="127.0.0.1")
    console.add_argument("--port", type=int, default=8080)
    console.set_defaults(handler=run_console)

    staff = commands.add_parser("staff", help="review-console accounts").add_subparsers(dest="staff_command",
                                                                                        required=True)
    staff_add = staff.add_parser("add", help="add an account (password prompted, or one line on stdin)")
    staff_add.add_argument("name")
    staff_add.add_argument("--role", choices=["reviewer", "admin"], required=True)
    staff_add.set_defaults(handler=run_staff_add)

    review = commands.add_parser("review", help="review data").add_subparsers(dest="review_command", required=True)
    export = review.add_parser("export-nlu", help="reviewers' corrections as Rasa NLU YAML (to merge into nlu/data)")
    export.add_argument("out", nargs="?", default="-", help="file to write, or - for stdout")
    export.set_defaults(handler=run_export_nlu)

    retention = commands.add_parser("retention", help="delete conversation logs (turns, Rasa events) older than N days")
    retention.add_argument("--days", type=int, default=None, help="default: RETENTION_DAYS, else 180")
    retention.set_defaults(handler=run_retention)

    telegram_poll = commands.add_parser("telegram-poll",
                                        help="answer Telegram by long polling (no public HTTPS address needed)")
    telegram_poll.set_defaults(handler=run_telegram_poll)

    serve = commands.add_parser("serve", help="start the Rasa server (REST) and the action server on loopback")
    serve.set_defaults(handler=run_serve)

    serve_prod = commands.add_parser(
        "serve-prod", help="production profile: N Rasa replicas (PostgreSQL + Redis) behind one round-robin address")
    serve_prod.add_argument("--replicas", type=int, default=2, help="Rasa servers, each with its action server")
    serve_prod.add_argument("--workers", type=int, default=1,
                            help="Sanic worker processes per Rasa server (one machine: --replicas 1 --workers CORES)")
    serve_prod.add_argument("--port", type=int, default=None,
                            help="the front address's port on 127.0.0.1 (default: RASA_PORT, else 5005)")
    serve_prod.set_defaults(handler=run_serve_prod)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.handler(get_knowledge_base(), args)
    except (FactError, NoRuleError, KnowledgeBaseError, UsageError, FileNotFoundError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyError as error:
        print(f"error: {error.args[0]}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
