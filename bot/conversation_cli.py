"""``chuangye chat`` and ``chuangye ask``: talk to the trained assistant from a terminal or a pipe."""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import uuid
from collections.abc import Iterable, Iterator
from typing import Any, TextIO

from bot.assistant import Assistant, Reply

EXIT_WORDS = {"/exit", "/quit", "exit", "quit", "退出"}


def parse_jsonl_line(line: str, line_number: int, run_id: str) -> tuple[str, str]:
    """(sender, text) of one input line: a JSON object with sender and text, or plain text (a new conversation).

    Raises ValueError with a clear message for a malformed line.
    """
    stripped = line.strip()
    if not stripped:
        raise ValueError("empty line: nothing to ask")
    if stripped.startswith("{"):
        try:
            record = json.loads(stripped)
        except json.JSONDecodeError as error:
            raise ValueError(f"not valid JSON: {error.msg}") from error
        if not isinstance(record, dict) or not isinstance(record.get("text"), str) or not record["text"].strip():
            raise ValueError('a JSON line needs a non-empty "text" string')
        sender = record.get("sender")
        if sender is None:
            sender = f"ask-{run_id}-{line_number}"
        return str(sender), record["text"]
    return f"ask-{run_id}-{line_number}", stripped


async def answer_lines(assistant: Assistant, lines: Iterable[str]) -> Iterator[dict[str, Any]]:
    """One output object per input line, in order (so one sender's turns run in order)."""
    run_id = uuid.uuid4().hex[:8]
    results = []
    for number, line in enumerate(lines, start=1):
        try:
            sender, text = parse_jsonl_line(line, number, run_id)
        except ValueError as error:
            results.append({"line": number, "error": str(error)})
            continue
        reply = await assistant.handle(text, sender)
        results.append(reply.as_json())
    return iter(results)


def ask(texts: list[str], jsonl: bool, stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout) -> int:
    # Libraries (jieba, Rasa) print while loading: keep stdout for the replies alone.
    with contextlib.redirect_stdout(sys.stderr):
        assistant = Assistant()
        if jsonl:
            results = list(asyncio.run(answer_lines(assistant, stdin)))
        else:
            reply = asyncio.run(assistant.handle(" ".join(texts), f"ask-{uuid.uuid4().hex[:8]}"))
    if not jsonl:
        stdout.write(render_reply(reply) + "\n")
        return 0
    for result in results:
        stdout.write(json.dumps(result, ensure_ascii=False) + "\n")
    stdout.flush()
    return 0


def render_reply(reply: Reply) -> str:
    lines = [reply.text]
    lines.extend(f"  [{number}] {button['title']}" for number, button in enumerate(reply.buttons, start=1))
    return "\n".join(lines)


def chat(stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout) -> int:
    """A terminal conversation; a number picks the button it names."""
    with contextlib.redirect_stdout(sys.stderr):
        assistant = Assistant()
    sender = f"terminal-{uuid.uuid4().hex[:8]}"
    stdout.write("创业助手已就绪。输入问题开始对话，输入“退出”结束。\n")
    buttons: list[dict[str, str]] = []

    async def loop() -> None:
        nonlocal buttons
        while True:
            stdout.write("你：")
            stdout.flush()
            line = stdin.readline()
            if not line or line.strip() in EXIT_WORDS:
                return
            text = line.strip()
            if not text:
                continue
            if text.isdigit() and 1 <= int(text) <= len(buttons):
                text = buttons[int(text) - 1]["payload"]
            reply = await assistant.handle(text, sender)
            buttons = reply.buttons
            stdout.write("助手：" + render_reply(reply) + "\n")

    asyncio.run(loop())
    return 0
