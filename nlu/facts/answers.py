"""The value of the one fact the assistant has just asked for, from a short reply ("嗯", "没有", "三成", "毕业俩年了"),
or None so that the assistant can ask again."""

from __future__ import annotations

import datetime
import re

from nlu.facts.counts import find_share
from nlu.facts.lexicon import Lexicon, fact_schema, load_lexicon, valid_value
from nlu.facts.numbers import NUMBER, approximate_extra, parse_number
from nlu.facts.phrases import QUESTION, REPEATED_CHAR, fix_typos
from nlu.facts.reader import read_facts
from nlu.facts.times import read_years
from nlu.normalize import normalize_text
from policy_kb.models import FactSpec

# ==== answers to one question ======================================================================


def _core_reply(text: str, lexicon: Lexicon) -> str:
    """The reply without leading and trailing particles and punctuation ("对的啊!" → "对")."""
    return text.strip(lexicon.particles).strip()


def _says_unknown(reply: str, lexicon: Lexicon) -> bool:
    return any(word in reply for word in lexicon.unknown)


def _read_bool(reply: str, lexicon: Lexicon) -> bool | None:
    if QUESTION.search(reply) or reply.endswith(("吗", "?", "么")):
        return None
    word = REPEATED_CHAR.sub(r"\1", reply)  # "嗯嗯嗯" → "嗯", "对对对" → "对"
    if reply in lexicon.yes or word in lexicon.yes:
        return True
    if reply in lexicon.no or word in lexicon.no:
        return False
    head = lexicon.yes_no_prefix.match(reply)
    rest = reply[head.end() :] if head else ""
    if head and rest and rest[0] in " ,。!;:~、" + lexicon.particles:  # "是的,我是低保户"
        return head.group(0) in lexicon.yes
    negation = lexicon.negation.search(reply)
    if negation and negation.start() <= 2 and len(reply) <= 8:  # "没贷过", "我不是", "还没批"
        return False
    return None





# A bare number answers the question only in a short reply ("35", "大概八个吧"); in a sentence the first number is
# rarely the answer ("我们天水一个做开关柜的中型厂": not one employee, not a 1 % share).
SHORT_REPLY_CHARACTERS = 8


def _read_int(reply: str, spec: FactSpec, today: datetime.date) -> int | None:
    if len(reply) > SHORT_REPLY_CHARACTERS:
        return None
    for match in re.finditer(rf"(?P<num>{NUMBER}) ?(?:来|多|余|几)?", reply):
        value = parse_number(match.group("num"), upper=True)
        if value is None or not value.is_integer():
            return None
        return int(value) + approximate_extra(match.group("num"), reply[match.end("num"):])
    return None


def _read_number(reply: str, lexicon: Lexicon) -> float | None:
    share = find_share(reply, lexicon)
    if share is not None:
        return share[1]
    number = re.search(NUMBER, reply) if len(reply) <= SHORT_REPLY_CHARACTERS else None
    return parse_number(number.group(0)) if number else None


def _blank_blockers(reply: str, lexicon: Lexicon) -> str:
    """``reply`` with blocker phrases ("小微企业") blanked out, so that no synonym is found inside them."""

    def blank(match: re.Match[str]) -> str:
        return " " * len(match.group(0)) if not lexicon.rules[match.group(0)].sets else match.group(0)

    return lexicon.phrase_pattern.sub(blank, reply)


def _read_enum(reply: str, spec: FactSpec, lexicon: Lexicon) -> str | None:
    table = lexicon.enum_words[spec.name]
    if reply in table:
        return table[reply]
    searchable = _blank_blockers(reply, lexicon)
    for word in sorted((word for word in table if len(word) >= 2), key=lambda item: (-len(item), item)):
        position = searchable.find(word)
        if position >= 0 and not lexicon.negation.search(searchable[max(0, position - 3) : position]):
            return table[word]
    return None


def _read_text(reply: str, lexicon: Lexicon) -> str | None:
    if reply in lexicon.yes or reply in lexicon.no:
        return None
    return reply or None


def interpret_answer(text: str, fact: str, today: datetime.date | None = None) -> object | None:
    """The value of ``fact`` given by a short reply to the question asking for it, or None.

    Uses ``extract_facts`` first (with the asked fact's context words taken as given, so "同意了" counts
    as employer consent), then reads the reply by the fact's type: yes/no words for bool facts, a bare
    number for int and number facts ("3", "俩", "35%", "三成"), labels and synonyms for enum facts, the
    trimmed reply for text facts. Returns None when the reply does not answer the question, so the
    assistant can ask again. Raises ValueError for a fact name that is not in policy_kb/data/facts.yml.
    """
    spec = fact_schema().get(fact)
    if spec is None:
        raise ValueError(f"unknown fact {fact!r}")
    lexicon = load_lexicon()
    today = today or datetime.date.today()
    normalized = normalize_text(text)
    if fact in lexicon.pending_facts and any(word in normalized for word in lexicon.pending):
        return False  # "认定材料交了 还没批下来": applied for, not granted yet
    found = read_facts(normalized, today, asked=fact).get(fact)
    if found is not None:
        return found
    reply = _core_reply(fix_typos(normalized, lexicon), lexicon)
    if not reply or _says_unknown(reply, lexicon):
        return None
    value: object | None
    if spec.type == "bool":
        value = _read_bool(reply, lexicon)
    elif spec.type == "int":
        value = _read_int(reply, spec, today)
    elif spec.name == "years_since_graduation":
        value = read_years(reply, today)
    elif spec.type == "number":
        value = _read_number(reply, lexicon)
    elif spec.type == "enum":
        value = _read_enum(reply, spec, lexicon)
    else:
        value = _read_text(reply, lexicon)
    return None if value is None else valid_value(spec, value)


