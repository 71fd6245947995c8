"""Fuzzing the three text functions every user message goes through, with what the tests beside them do not
send: long texts (1 000 to 20 000 characters; for the fact extractor up to the 2 000 the REST channel accepts,
see test_long_digit_runs_are_read_quickly for why), and control, format and separator characters mixed into
CJK, full-width forms and digits. Lone surrogates are left out: REST refuses them and the other channels drop
them (``clean_text``) before these functions run, and the tests beside these already send them.

Properties: ``normalize_text`` never raises, is idempotent and leaves no control/format character, no
upper-case ASCII and no stray whitespace; ``extract_facts`` and ``interpret_answer`` never raise (except the
documented ValueError for an unknown fact name) and return only values the knowledge base's own validator
accepts; ``redact`` never raises, is idempotent, changes nothing in a text without digits or "@", and leaves no
ID, mobile or card number (or e-mail address) that a plain regular expression finds in the NFKC form.
"""

from __future__ import annotations

import datetime
import re
import time
import unicodedata

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from bot.channels.rest import MAX_MESSAGE_CHARS
from bot.storage.redaction import CARD_TOKEN, EMAIL_TOKEN, ID_TOKEN, MOBILE_TOKEN, redact
from nlu.facts import extract_facts, interpret_answer
from nlu.normalize import normalize_text
from policy_kb.facts import validate_fact
from policy_kb.loader import DATA_DIR, load_facts

TODAY = datetime.date(2025, 6, 1)
SCHEMA = load_facts(DATA_DIR / "facts.yml")
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Any code point but surrogates, with the characters users paste weighted in: C0/C1 controls, zero-width and
# directional marks, line/paragraph separators, the BOM, ideographic space; CJK, full-width forms and digits.
_CHAR = st.one_of(
    st.characters(exclude_categories=["Cs"]),
    st.characters(min_codepoint=0x00, max_codepoint=0x1F),
    st.characters(min_codepoint=0x7F, max_codepoint=0x9F),
    st.sampled_from("\u200b\u200c\u200d\u200e\u202e\u2028\u2029\ufeff\u00a0\u3000\u0301"),
    st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF),
    st.characters(min_codepoint=0xFF01, max_codepoint=0xFF5E),
    st.characters(min_codepoint=ord("0"), max_codepoint=ord("9")),
    st.sampled_from("年月岁毕业届个人成%百分之占股前后@.-+ Xx"),
)
_SHORT = st.text(alphabet=_CHAR, max_size=120)


def _long(max_chars: int) -> st.SearchStrategy[str]:
    """Texts of 1 000 to ``max_chars`` characters: random pieces, joined and repeated to the drawn length."""
    def fill(pieces: list[str], length: int) -> str:
        seed = "".join(pieces) or "字"
        return (seed * (length // len(seed) + 1))[:length]

    return st.builds(fill, st.lists(st.text(alphabet=_CHAR, min_size=1, max_size=40), min_size=1, max_size=20),
                     st.integers(1000, max_chars))


ANY_TEXT = st.one_of(_SHORT, _long(20_000))
MESSAGE_TEXT = st.one_of(_SHORT, _long(MAX_MESSAGE_CHARS))  # what the assistant accepts as one message


# --- normalize_text ------------------------------------------------------------------------------------------


@FUZZ
@given(ANY_TEXT)
def test_normalize_text_is_idempotent_and_clean_on_long_and_control_heavy_text(text: str) -> None:
    once = normalize_text(text)
    assert normalize_text(once) == once
    assert once == once.strip() and "  " not in once
    assert all(char == " " or not char.isspace() for char in once)
    assert not any(unicodedata.category(char) in ("Cc", "Cf", "Cs") for char in once)
    assert not any("A" <= char <= "Z" for char in once)


# --- fact extraction ----------------------------------------------------------------------------------------


def assert_validated(name: str, value: object) -> None:
    """The value is one the knowledge base's validator returns unchanged (same value, same type)."""
    assert name in SCHEMA, name
    checked = validate_fact(SCHEMA[name], value)  # raises FactError for anything invalid
    assert checked == value and type(checked) is type(value), (name, value, checked)


@FUZZ
@given(MESSAGE_TEXT)
def test_extract_facts_returns_only_validated_facts(text: str) -> None:
    facts = extract_facts(text, today=TODAY)
    assert isinstance(facts, dict)
    for name, value in facts.items():
        assert_validated(name, value)


@FUZZ
@given(MESSAGE_TEXT, st.sampled_from(sorted(SCHEMA)))
def test_interpret_answer_returns_none_or_a_validated_value(text: str, fact: str) -> None:
    value = interpret_answer(text, fact, today=TODAY)
    if value is not None:
        assert_validated(fact, value)


@settings(max_examples=50, deadline=None)
@given(_SHORT, st.text(alphabet=_CHAR, max_size=30))
def test_interpret_answer_raises_only_the_documented_error(text: str, fact: str) -> None:
    assume(fact not in SCHEMA)
    with pytest.raises(ValueError, match="unknown fact"):
        interpret_answer(text, fact, today=TODAY)


def test_long_digit_runs_are_read_quickly() -> None:
    started = time.monotonic()
    extract_facts("1" * MAX_MESSAGE_CHARS, today=TODAY)
    interpret_answer("1" * MAX_MESSAGE_CHARS, "years_since_graduation", today=TODAY)
    assert time.monotonic() - started < 2.0  # linear: milliseconds; the quadratic version took minutes


# --- redaction ------------------------------------------------------------------------------------------------


def gb11643_valid(candidate: str) -> bool:
    weights = [2 ** (17 - i) % 11 for i in range(17)]
    return "10X98765432"[sum(int(d) * w for d, w in zip(candidate[:17], weights, strict=True)) % 11] == \
        candidate[17].upper()


def luhn_valid(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char) * (2 if position % 2 else 1)
        total += value // 10 + value % 10
    return total % 10 == 0


_ID_RUN = re.compile(r"(?<![0-9])[0-9]{17}[0-9Xx](?![0-9])")
_DIGIT_RUN = re.compile(r"(?<![0-9])[0-9]{11,19}(?![0-9])")
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")


def personal_data_found(text: str) -> list[str]:
    """What plain regular expressions find in the NFKC form without invisible format characters (a number split
    by a zero-width space is one number): whole digit runs that are a valid 身份证号, a mobile number or a
    Luhn-valid card number, and e-mail addresses."""
    text = "".join(char for char in unicodedata.normalize("NFKC", text) if unicodedata.category(char) != "Cf")
    found = [run for run in _ID_RUN.findall(text) if gb11643_valid(run)]
    for run in _DIGIT_RUN.findall(text):
        if (len(run) == 11 and run[0] == "1" and run[1] in "3456789") or (len(run) >= 13 and luhn_valid(run)):
            found.append(run)
    return found + _EMAIL.findall(text)


def _with_check_character(first_17: str) -> str:
    weights = [2 ** (17 - i) % 11 for i in range(17)]
    return first_17 + "10X98765432"[sum(int(d) * w for d, w in zip(first_17, weights, strict=True)) % 11]


def _with_luhn_digit(prefix: str) -> str:
    return next(prefix + digit for digit in "0123456789" if luhn_valid(prefix + digit))


PERSONAL = st.one_of(
    st.builds(_with_check_character, st.from_regex(r"[1-6][0-9]{16}", fullmatch=True)),
    st.builds(_with_luhn_digit, st.from_regex(r"62[0-9]{11,16}", fullmatch=True)),
    st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True),
    st.from_regex(r"[a-z0-9._]{1,12}@[a-z0-9]{1,10}\.(com|cn|org)", fullmatch=True),
)
_FULL_WIDTH = str.maketrans("0123456789Xx@.", "０１２３４５６７８９Ｘｘ＠．")


_PIECE_WITH_DATA = st.one_of(_SHORT, PERSONAL, PERSONAL.map(lambda item: item.translate(_FULL_WIDTH)))
WITH_PERSONAL_DATA = st.builds(
    lambda pieces, repeat: "".join(pieces) * repeat,
    st.lists(_PIECE_WITH_DATA, min_size=1, max_size=30), st.sampled_from([1, 1, 1, 20, 200]))


@FUZZ
@given(st.one_of(ANY_TEXT, WITH_PERSONAL_DATA))
def test_redaction_is_idempotent_and_leaves_no_personal_data(text: str) -> None:
    once = redact(text)
    assert redact(once) == once
    assert personal_data_found(once) == []


@FUZZ
@given(ANY_TEXT)
def test_redaction_changes_nothing_without_digits_or_at_signs(text: str) -> None:
    normalized = unicodedata.normalize("NFKC", text)
    assume(not any("0" <= char <= "9" or char == "@" for char in normalized))
    assert redact(text) == text


@FUZZ
@given(_SHORT, PERSONAL, st.booleans(), _SHORT, st.integers(0, 50))
def test_personal_data_inside_noise_is_always_redacted(before: str, item: str, full_width: bool, after: str,
                                                      copies: int) -> None:
    """A number or address between control characters, CJK and the like, in a long text, is replaced."""
    item = item.translate(_FULL_WIDTH) if full_width else item
    text = (before + "\u0000" + item + "。" + after) * max(copies, 1)
    assume(personal_data_found(text))  # the noise may glue digits onto it: then it is another number
    redacted = redact(text)
    assert personal_data_found(redacted) == []
    assert any(token in redacted for token in (ID_TOKEN, MOBILE_TOKEN, CARD_TOKEN, EMAIL_TOKEN))
