"""One reply model, rendered per channel: WeChat text with a numbered menu, Telegram keyboards, compact SMS.

The actions produce text, buttons and the topic payload once; each channel turns that into what it can show.
Long text is split at sentence boundaries within the channel's limit, never silently cut.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

# A sentence ends after these; a split never falls inside a sentence unless the sentence alone is too long.
_SENTENCE_END = re.compile(r"(?<=[。！？!?；;\n])")

WECHAT_TEXT_LIMIT = 600  # characters; WeChat accepts ~2048 bytes in a passive text reply (3 bytes per character)
TELEGRAM_TEXT_LIMIT = 4096
SMS_SINGLE_SEGMENT = 70  # UCS-2 characters in a single SMS
SMS_MULTIPART_SEGMENT = 67  # UCS-2 characters per part of a concatenated SMS


@dataclass(frozen=True)
class Button:
    title: str
    payload: str


@dataclass
class ChannelReply:
    """Everything the assistant said in one turn."""

    texts: list[str] = field(default_factory=list)
    buttons: list[Button] = field(default_factory=list)
    payload: dict[str, Any] | None = None

    @classmethod
    def from_messages(cls, messages: list[dict[str, Any]]) -> ChannelReply:
        """From the dicts Rasa's CollectingOutputChannel gathers (text, buttons, custom)."""
        reply = cls()
        for message in messages:
            if message.get("text"):
                reply.texts.append(str(message["text"]))
            for button in message.get("buttons") or []:
                reply.buttons.append(Button(str(button.get("title", "")), str(button.get("payload", ""))))
            if isinstance(message.get("custom"), dict):
                reply.payload = message["custom"]
        return reply

    @property
    def text(self) -> str:
        return "\n".join(self.texts)


def split_text(text: str, limit: int, length: Callable[[str], int] = len) -> list[str]:
    """Pieces of at most ``limit`` (by ``length``), cut at sentence ends; nothing is dropped."""
    if limit < 1:
        raise ValueError("limit must be positive")
    pieces: list[str] = []
    current = ""
    for sentence in (s for s in _SENTENCE_END.split(text) if s):
        if length(current + sentence) <= limit:
            current += sentence
            continue
        if current.strip():
            pieces.append(current.strip())
        current = ""
        while length(sentence) > limit:  # a single over-long sentence: cut it by characters
            cut = _longest_prefix(sentence, limit, length)
            pieces.append(sentence[:cut])
            sentence = sentence[cut:]
        current = sentence
    if current.strip():
        pieces.append(current.strip())
    return pieces


def _longest_prefix(text: str, limit: int, length: Callable[[str], int]) -> int:
    cut = min(len(text), limit)
    while cut > 1 and length(text[:cut]) > limit:
        cut -= 1
    return cut


def numbered_menu(buttons: list[Button], prompt: str = "回复数字选择：") -> str:
    """Buttons as a numbered list the user answers with the number."""
    if not buttons:
        return ""
    return prompt + "\n" + "\n".join(f"{number}. {button.title}" for number, button in enumerate(buttons, 1))


def render_wechat(reply: ChannelReply, limit: int = WECHAT_TEXT_LIMIT) -> list[str]:
    """WeChat text messages: the reply, then the numbered menu in the last message."""
    menu = numbered_menu(reply.buttons)
    body = reply.text + ("\n\n" + menu if menu else "")
    return split_text(body, limit) or [""]


def ucs2_length(text: str) -> int:
    """UTF-16 code units: an emoji outside the BMP takes two, as on the wire."""
    return len(text.encode("utf-16-le")) // 2


def sms_segments(text: str) -> int:
    """How many SMS segments a UCS-2 message takes (70 alone, 67 per part when concatenated)."""
    units = ucs2_length(text)
    if units <= SMS_SINGLE_SEGMENT:
        return 1
    return -(-units // SMS_MULTIPART_SEGMENT)


def render_sms(reply: ChannelReply, max_segments: int) -> list[str]:
    """Plain SMS messages of at most ``max_segments`` segments each, with a compact menu ("回1 …")."""
    menu = " ".join(f"回{number}{button.title}" for number, button in enumerate(reply.buttons, 1))
    body = _plain(reply.text) + (("\n" + menu) if menu else "")
    limit = SMS_SINGLE_SEGMENT if max_segments == 1 else SMS_MULTIPART_SEGMENT * max_segments
    return split_text(body, limit, ucs2_length) or [""]


def _plain(text: str) -> str:
    """SMS templates allow plain text only: no emoji or decorative marks."""
    text = text.replace("✔", "√").replace("✘", "×").replace("✅", "").replace("❌", "").replace("⚠", "注意:")
    return "".join(ch for ch in text if ucs2_length(ch) == 1)
