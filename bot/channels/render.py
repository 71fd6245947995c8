"""One reply model, rendered per channel: WeChat text with a numbered menu, Telegram keyboards, compact SMS.

The actions produce text, buttons and the topic payload once; each channel turns that into what it can show.
Long text is split at sentence boundaries within the channel's limit, never silently cut.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import gsm0338  # noqa: F401  (registers the "gsm03.38" codec: an all-GSM SMS carries 160 characters a segment)
import yaml

# A sentence ends after these; a split never falls inside a sentence unless the sentence alone is too long.
_SENTENCE_END = re.compile(r"(?<=[。！？!?；;\n])")

WECHAT_TEXT_LIMIT = 600  # characters; WeChat accepts ~2048 bytes in a passive text reply (3 bytes per character)
TELEGRAM_TEXT_LIMIT = 4096
SMS_SINGLE_SEGMENT = 70  # UCS-2 characters in a single SMS
SMS_MULTIPART_SEGMENT = 67  # UCS-2 characters per part of a concatenated SMS
GSM_SINGLE_SEGMENT = 160  # GSM 03.38 septets in a single SMS
GSM_MULTIPART_SEGMENT = 153  # septets per part of a concatenated SMS
MESSAGES_PATH = Path(__file__).with_name("messages.yml")
ENGLISH_MESSAGES_PATH = Path(__file__).with_name("messages.en.yml")


@functools.lru_cache(maxsize=2)
def channel_messages(language: str = "zh") -> dict[str, str]:
    """Wording sent without the actions (welcome, text only, menus…): messages.yml, or messages.en.yml for ``en``."""
    path = ENGLISH_MESSAGES_PATH if language == "en" else MESSAGES_PATH
    return yaml.safe_load(path.read_text(encoding="utf-8"))


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

    @property
    def language(self) -> str:
        """The reply language the actions chose (``zh`` unless the payload says ``en``)."""
        return "en" if (self.payload or {}).get("language") == "en" else "zh"


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


def numbered_menu(buttons: list[Button], language: str = "zh") -> str:
    """Buttons as a numbered list the user answers with the number."""
    if not buttons:
        return ""
    prompt = channel_messages(language)["menu_prompt"]
    return prompt + "\n" + "\n".join(f"{number}. {button.title}" for number, button in enumerate(buttons, 1))


def render_wechat(reply: ChannelReply, limit: int = WECHAT_TEXT_LIMIT) -> list[str]:
    """WeChat text messages: the reply, then the numbered menu in the last message."""
    menu = numbered_menu(reply.buttons, reply.language)
    body = reply.text + ("\n\n" + menu if menu else "")
    return split_text(body, limit) or [""]


def ucs2_length(text: str) -> int:
    """UTF-16 code units: an emoji outside the BMP takes two, as on the wire."""
    return len(text.encode("utf-16-le")) // 2


def is_gsm_text(text: str) -> bool:
    """Every character is in the GSM 03.38 alphabet: the phone network carries it 7 bits a character."""
    try:
        text.encode("gsm03.38")
    except UnicodeError:
        return False
    return True


def gsm_length(text: str) -> int:
    """GSM septets: the extension characters (€, [, ] …) take two."""
    return len(text.encode("gsm03.38"))


def sms_segments(text: str) -> int:
    """How many SMS segments a message takes, as the network sends it: GSM 160/153 or UCS-2 70/67."""
    if is_gsm_text(text):
        units, single, part = gsm_length(text), GSM_SINGLE_SEGMENT, GSM_MULTIPART_SEGMENT
    else:
        units, single, part = ucs2_length(text), SMS_SINGLE_SEGMENT, SMS_MULTIPART_SEGMENT
    if units <= single:
        return 1
    return -(-units // part)


def sms_menu(buttons: list[Button], language: str = "zh") -> str:
    """The compact SMS menu: "回1详细 回2原文" (the user answers with the number)."""
    item = channel_messages(language)["sms_menu_item"]
    return " ".join(item.format(number=number, title=button.title) for number, button in enumerate(buttons, 1))


def render_sms(reply: ChannelReply, max_segments: int) -> list[str]:
    """Plain SMS messages of at most ``max_segments`` segments each, with a compact menu ("回1 …")."""
    menu = sms_menu(reply.buttons, reply.language)
    body = _plain(reply.text) + (("\n" + menu) if menu else "")
    if is_gsm_text(body):
        length, single, part = gsm_length, GSM_SINGLE_SEGMENT, GSM_MULTIPART_SEGMENT
    else:
        length, single, part = ucs2_length, SMS_SINGLE_SEGMENT, SMS_MULTIPART_SEGMENT
    limit = single if max_segments == 1 else part * max_segments
    return split_text(body, limit, length) or [""]


# Typographic quotes and dashes outside GSM 03.38: in an English SMS one of them makes the whole message UCS-2
# (67 characters a segment instead of 153).
_TO_GSM = str.maketrans({"“": '"', "”": '"', "‘": "'", "’": "'", "–": "-", "—": "-", "…": "..."})


def _plain(text: str) -> str:
    """SMS templates allow plain text only: no emoji or decorative marks."""
    text = text.replace("✔", "√").replace("✘", "×").replace("✅", "").replace("❌", "").replace("⚠", "注意:")
    if not any("\u4e00" <= ch <= "\u9fff" for ch in text):
        text = text.translate(_TO_GSM)
    return "".join(ch for ch in text if ucs2_length(ch) == 1)
