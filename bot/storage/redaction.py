"""Personal data out of stored conversation text: 身份证号, mobile numbers, bank card numbers and e-mail addresses.

Numbers and addresses are looked for in the NFKC form of the text without its invisible format characters, so
full-width digits and letters (１３８…, ｘ, ＠) and numbers split by zero-width spaces are caught like plain ones;
the rest of the text is kept as written (Chinese punctuation stays full-width).
A number is replaced only when it is a whole run of digits (never a piece of a longer number) and, for ID and
card numbers, only when its check digit is right: a policy number or an amount of money stays readable.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from typing import Any

ID_TOKEN = "[身份证号]"
MOBILE_TOKEN = "[手机号]"
CARD_TOKEN = "[银行卡号]"
EMAIL_TOKEN = "[邮箱]"

# GB 11643-1999: weights of the first 17 digits and the check character for (weighted sum mod 11).
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK_CHARACTERS = "10X98765432"

# The lookbehinds keep each match from starting inside a longer run, so every candidate is scanned once.
_EMAIL = re.compile(r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
# 18 characters in one run or in the groups people type (620102 19900101 1233, 620102-19900101-123X).
_ID = re.compile(r"(?<![0-9])[0-9]{6}[ -]?[0-9]{8}[ -]?[0-9]{3}[0-9Xx](?![0-9])")
# The 15-digit numbers issued before 1999: area, YYMMDD, sequence.
_OLD_ID = re.compile(r"(?<![0-9])[1-8][0-9]{5}[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])[0-9]{3}(?![0-9])")
# Optionally +86 / 86 / 0086 in front; in one run or written 3-4-4 with spaces, dashes or dots.
_MOBILE = re.compile(
    r"(?<![0-9])(?:(?:\+|00)?86[ .-]?)?1[3-9][0-9](?:[0-9]{8}|[ .-][0-9]{4}[ .-][0-9]{4})(?![0-9])")
# 13–19 digits, either in one run or in groups of four separated by single spaces or dashes.
_CARD = re.compile(r"(?<![0-9])(?:[0-9]{13,19}|[0-9]{4}(?:[ -][0-9]{4}){2,3}(?:[ -][0-9]{1,4})?)(?![0-9])")


def is_valid_id_number(candidate: str) -> bool:
    """True for 18 characters whose last one is the GB 11643 check character of the first 17 digits."""
    if len(candidate) != 18 or not candidate[:17].isascii() or not candidate[:17].isdigit():
        return False
    total = sum(int(digit) * weight for digit, weight in zip(candidate[:17], _ID_WEIGHTS, strict=True))
    return candidate[17].upper() == _ID_CHECK_CHARACTERS[total % 11]


def id_check_character(first_17_digits: str) -> str:
    """The check character that completes ``first_17_digits`` into a valid 身份证号."""
    total = sum(int(digit) * weight for digit, weight in zip(first_17_digits, _ID_WEIGHTS, strict=True))
    return _ID_CHECK_CHARACTERS[total % 11]


def passes_luhn(digits: str) -> bool:
    """The Luhn (mod 10) check used by bank card numbers."""
    if not digits.isascii() or not digits.isdigit():
        return False
    total = 0
    for position, digit in enumerate(reversed(digits)):
        value = int(digit)
        if position % 2 == 1:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def _card_digits(candidate: str) -> str:
    return candidate.replace(" ", "").replace("-", "")


def _is_personal(kind: re.Pattern[str], candidate: str) -> bool:
    if kind is _ID:
        return is_valid_id_number(candidate.replace(" ", "").replace("-", ""))
    if kind is _CARD:
        digits = _card_digits(candidate)
        return 13 <= len(digits) <= 19 and passes_luhn(digits)
    return True


# E-mail first: a QQ address (12345678@qq.com) would otherwise lose its digits and keep the rest.
_KINDS = ((_EMAIL, EMAIL_TOKEN), (_ID, ID_TOKEN), (_MOBILE, MOBILE_TOKEN), (_OLD_ID, ID_TOKEN), (_CARD, CARD_TOKEN))
# Read as what they stand for while looking for numbers and addresses: Chinese numerals ("一三九…" is a mobile
# number) and the ideographic full stop in an e-mail address ("name@example。com").
_SCANNED_AS = {**{character: str(value) for value, character in enumerate("零一二三四五六七八九")},
               "〇": "0", "幺": "1", "两": "2", "。": "."}


def _normalized(text: str) -> tuple[str, list[int]]:
    """The NFKC form of each character, joined, and for each of its characters the index it came from.

    Invisible format characters (zero-width spaces and joiners, soft hyphens, direction marks: category Cf) are
    left out, so a number split by them is still one number; a replacement covers them too.
    """
    parts = [_scanned_form(character) for character in text]
    if all(len(part) == 1 for part in parts):  # the usual case: one character each, origins need no building
        return "".join(parts), list(range(len(text)))
    origins: list[int] = []
    for index, part in enumerate(parts):
        origins.extend([index] * len(part))
    return "".join(parts), origins


@functools.lru_cache(maxsize=8192)
def _scanned_form(character: str) -> str:
    """What one character is read as while scanning (see ``_normalized``); cached, as texts reuse few characters."""
    if unicodedata.category(character) == "Cf":
        return ""
    return _SCANNED_AS.get(character, unicodedata.normalize("NFKC", character))


def _redact_once(text: str) -> str:
    """Each kind in turn, on the text as the kinds before it left it (normalised again only after a change)."""
    normalized, origins = _normalized(text)
    for kind, token in _KINDS:
        spans = [(origins[match.start()], origins[match.end() - 1] + 1) for match in kind.finditer(normalized)
                 if _is_personal(kind, match.group())]
        if not spans:
            continue
        for start, end in reversed(spans):
            text = text[:start] + token + text[end:]
        normalized, origins = _normalized(text)
    return text


def redact(text: str) -> str:
    """``text`` with valid ID, mobile and bank card numbers and e-mail addresses replaced by placeholders.

    Repeated until nothing changes, so the result has no match left and redacting it again changes nothing.
    Every change removes characters that stand for digits or an "@", so the loop ends.
    """
    while True:
        once = _redact_once(text)
        if once == text:
            return once
        text = once


# Every form redaction replaces has a digit, an @ or a run of Chinese numerals: other strings are left as they are,
# which spares the intent and topic rankings of each message most of the work.
_MAY_BE_PERSONAL = re.compile(r"[0-9０-９@＠]|[零〇一二三四五六七八九幺两]{5}")


def redacted(value: Any) -> Any:
    """``value`` with every string in it redacted, dicts and lists walked (a stored event, its parse data and slots).

    What redaction leaves unchanged is returned as it is, the very object: ``redacted(value) is value`` tells that
    ``value`` holds no personal data (the tracker store relies on it, see ``bot.storage.tracker_cache``).
    """
    if isinstance(value, str):
        return redact(value) if _MAY_BE_PERSONAL.search(value) else value
    if isinstance(value, dict):
        changed = {key: redacted(item) for key, item in value.items()}
        return value if all(changed[key] is item for key, item in value.items()) else changed
    if isinstance(value, list):
        changed_items = [redacted(item) for item in value]
        return value if all(new is old for new, old in zip(changed_items, value, strict=True)) else changed_items
    return value
