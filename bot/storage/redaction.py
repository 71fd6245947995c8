"""Personal data out of stored conversation text: 身份证号, mobile and landline numbers, bank card numbers, e-mail
addresses, QQ numbers and WeChat ids, house numbers, licence plates, passport and student numbers, dates of birth,
and the names a person gives ("我叫…", "我老婆叫…", "my name is …").

Numbers and addresses are looked for in the NFKC form of the text without its invisible format characters, so
full-width digits and letters (１３８…, ｘ, ＠) and numbers split by zero-width spaces are caught like plain ones;
the rest of the text is kept as written (Chinese punctuation stays full-width).
A number is replaced only when it is a whole run of digits (never a piece of a longer number) and, for ID and
card numbers, only when its check digit is right, unless an ID number holds a birth date or a card number is
announced as one ("卡号…"): a policy number or an amount of money stays readable.
QQ numbers, WeChat ids and names are recognised by the words before them (a bare number or word could be
anything), and of an address only the house number goes (张掖路[门牌号]): the street says where, not who.
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
LANDLINE_TOKEN = "[电话]"
QQ_TOKEN = "[QQ号]"
WECHAT_TOKEN = "[微信号]"
HOUSE_NUMBER_TOKEN = "[门牌号]"
NAME_TOKEN = "[姓名]"
PLATE_TOKEN = "[车牌号]"
PASSPORT_TOKEN = "[证件号]"
STUDENT_NUMBER_TOKEN = "[学号]"
BIRTH_DATE_TOKEN = "[出生日期]"

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


# An 18-character number with an area code and a birth date in it is an ID number even with a wrong check digit
# (a real one mistyped is still someone's).
_ID_SHAPED = re.compile(r"[1-8][0-9]{5}[ -]?(?:19|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])[ -]?"
                        r"[0-9]{3}[0-9Xx]")


def _is_personal(kind: re.Pattern[str], candidate: str) -> bool:
    if kind is _ID:
        return is_valid_id_number(candidate.replace(" ", "").replace("-", "")) or bool(
            _ID_SHAPED.fullmatch(candidate))
    if kind is _CARD:
        digits = _card_digits(candidate)
        return 13 <= len(digits) <= 19 and passes_luhn(digits)
    return True


# A mainland landline: area code (0 and 2–3 digits, maybe in brackets), then 7–8 digits not starting with 0 or 1.
_LANDLINE = re.compile(r"(?<![0-9])(?:\(0[1-9][0-9]{1,2}\)|0[1-9][0-9]{1,2})[ -]?[2-9][0-9]{6,7}(?![0-9])")
# Where a pattern has a group ``v``, only that group is replaced (the words that announce it stay).
_QQ = re.compile(r"(?:QQ|qq|Qq|扣扣)(?:号码?)?\s*(?:是|为|[:：])?\s*(?P<v>[1-9][0-9]{4,11})(?![0-9])")
_WECHAT = re.compile(r"(?:微信号?|[Vv][Xx]|[Ww][Xx]|[Ww]e[Cc]hat(?: ?[Ii][Dd])?)\s*(?:号码?)?\s*(?:是|为|[:：])?\s*"
                     r"(?P<v>[A-Za-z][-_A-Za-z0-9]{5,19})(?![-_A-Za-z0-9])")
_HOUSE_NUMBER = re.compile(
    r"(?:(?<=[路街巷道同])(?P<v>[0-9]+号(?:院)?(?:[0-9]+(?:号楼|栋|幢|单元|层|楼|室|号))*))"
    r"|(?P<w>[0-9]+(?:号楼|栋|幢)[0-9]+单元(?:[0-9]+(?:室|号|层|楼)?)?)")
# A card or account number announced as one ("银行卡号6222…", "card number …"), whatever its check digit.
_ANNOUNCED_CARD = re.compile(r"(?:银行卡|储蓄卡|信用卡|借记卡|卡号|账号|帐号|[Cc]ard(?: number| no\.?)?|"
                             r"[Aa]ccount(?: number| no\.?))\s*(?:号码?)?\s*(?:是|为|[:：]|is)?\s*"
                             r"(?P<v>[0-9](?:[ -]?[0-9]){11,22})(?![0-9])")
# A mainland licence plate: the province's character, the city's letter, then 5 (6 for new-energy) letters or digits.
_PLATE = re.compile(r"[京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼][A-HJ-NP-Z][A-HJ-NP-Z0-9]{5,6}"
                    r"(?![A-Za-z0-9])")
# Passport, residence permit and other document numbers, and student or staff numbers, after the words for them.
_PASSPORT = re.compile(r"(?:护照|通行证|居留证|永居证|[Pp]assport|[Rr]esidence permit)\s*(?:号码?|number|no\.?)?\s*"
                       r"(?:是|为|[:：]|is)?\s*(?P<v>[A-Za-z]{0,2}[0-9]{6,12})(?![0-9])")
_STUDENT_NUMBER = re.compile(r"(?:学号|工号|学籍号|考生号|[Ss]tudent (?:ID|id|number|no\.?)|[Ss]taff (?:ID|id|number)|"
                             r"[Ee]mployee (?:ID|id|number))\s*(?:是|为|[:：]|is)?\s*"
                             r"(?P<v>[A-Za-z]{0,3}[0-9]{5,20})(?![0-9])")
# A date of birth: a full date followed by 出生 / 生人, or after 生日 / 出生日期 / born on / date of birth.
_DATE = r"(?:19|20)[0-9]{2}\s*[年./-]\s*[01]?[0-9]\s*[月./-]\s*[0-3]?[0-9]\s*[日号]?"
_BIRTH_DATE = re.compile(rf"(?P<v>{_DATE})\s*(?:出生|生人)|(?:出生于|生于|生日是?|出生日期\s*(?:是|为|[:：])?|"
                         rf"[Bb]orn on|[Dd]ate of birth:?|DOB:?)\s*(?P<w>{_DATE})")
# E-mail first: a QQ address (12345678@qq.com) would otherwise lose its digits and keep the rest.
_KINDS = ((_EMAIL, EMAIL_TOKEN), (_ID, ID_TOKEN), (_MOBILE, MOBILE_TOKEN), (_OLD_ID, ID_TOKEN),
          (_ANNOUNCED_CARD, CARD_TOKEN), (_CARD, CARD_TOKEN), (_LANDLINE, LANDLINE_TOKEN), (_QQ, QQ_TOKEN),
          (_WECHAT, WECHAT_TOKEN), (_HOUSE_NUMBER, HOUSE_NUMBER_TOKEN), (_PLATE, PLATE_TOKEN),
          (_PASSPORT, PASSPORT_TOKEN), (_STUDENT_NUMBER, STUDENT_NUMBER_TOKEN), (_BIRTH_DATE, BIRTH_DATE_TOKEN))
# The name a person gives, looked for in the text as written (Chinese numerals stay: 张三 is a name, not 张3): two to
# four characters after 我叫 / 名字是 / 姓名, up to a word that ends it, or a capitalised name after "my name is".
_NAME_BEFORE = r"(?:我叫|我的名字(?:是|叫)|名字(?:是|叫)|本人姓名|姓名)\s*(?:是|为|[:：])?\s*(?!什么|啥|多少|不)"
_NAME_ENDS = r"(?=[^\u4e00-\u9fff·]|$|今年|是|在|的|想|刚|从|来自|毕业|家|住|男|女|岁)"
# Someone else's name: "我老婆叫李娟", "合伙人的名字叫王强".
_RELATIVE_NAMED = (r"(?:老婆|老公|媳妇|丈夫|妻子|爱人|对象|妈妈|爸爸|母亲|父亲|儿子|女儿|哥哥|姐姐|弟弟|妹妹|"
                   r"表哥|表姐|表弟|表妹|同学|朋友|室友|舍友|合伙人|孩子|娃|妈|爸|哥|姐|弟|妹)(?:的名字)?"
                   r"(?:叫|名叫|名字叫)\s*(?!什么|啥|多少|不)")
_RELATIVE_NAME_ENDS = r"(?=[^\u4e00-\u9fff·]|$|她|他|今年|是|在|的|想|也|刚|从|毕业|家)"
_NAMES = (
    re.compile(_NAME_BEFORE + r"(?P<v>[\u4e00-\u9fff·]{2,4}?)" + _NAME_ENDS),
    re.compile(_NAME_BEFORE + r"(?P<v>[\u4e00-\u9fff·]{2,3})"),
    re.compile(_RELATIVE_NAMED + r"(?P<v>[\u4e00-\u9fff·]{2,3}?)" + _RELATIVE_NAME_ENDS),
    re.compile(_RELATIVE_NAMED + r"(?P<v>[\u4e00-\u9fff·]{2,3})"),
    re.compile(r"(?:[Mm]y name is|[Mm]y name's|[Cc]all me|I'm called|I am called)\s+"
               r"(?P<v>[A-Z][A-Za-z'-]+(?:\s+[A-Z][A-Za-z'-]+){0,2})"),
)
# Read as what they stand for while looking for numbers and addresses: Chinese numerals ("一三九…" is a mobile
# number) and the ideographic full stop in an e-mail address ("name@example。com").
_SCANNED_AS = {**{character: str(value) for value, character in enumerate("零一二三四五六七八九")},
               "〇": "0", "幺": "1", "两": "2", "。": "."}


_DIGIT_BESIDE_NUMERAL = re.compile(r"[零〇一二三四五六七八九幺两。][0-9０-９]|[0-9０-９][零〇一二三四五六七八九幺两。]")


def _normalized(text: str, numerals: bool = True) -> tuple[str, list[int]]:
    """The NFKC form of each character, joined, and for each of its characters the index it came from.

    Invisible format characters (zero-width spaces and joiners, soft hyphens, direction marks: category Cf) are
    left out, so a number split by them is still one number; a replacement covers them too.
    """
    parts = [_scanned_form(character) if numerals or character not in _SCANNED_AS else character
             for character in text]
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


def _redact_once(text: str, numerals: bool = True) -> str:
    """Each kind in turn, on the text as the kinds before it left it (normalised again only after a change);
    ``numerals``: Chinese numerals read as digits."""
    normalized, origins = _normalized(text, numerals)
    for kind, token in _KINDS:
        spans = [(origins[start], origins[end - 1] + 1) for match in kind.finditer(normalized)
                 if _is_personal(kind, match.group()) for start, end in [_replaced_span(match)]]
        if not spans:
            continue
        for start, end in reversed(spans):
            text = text[:start] + token + text[end:]
        normalized, origins = _normalized(text, numerals)
    for name in _NAMES:
        text = name.sub(lambda match: match.group(0)[:match.start("v") - match.start()] + NAME_TOKEN, text)
    return _without_introduced_names(text)


# "我是张伟，想问…": after 我是 / 本人 a person's name is told from 我是大学生 / 我是兰州人 by jieba's part-of-speech
# tagger (nr: a person's name) on the few characters that follow, when the name ends there (a pause, 想, 今年…) and
# is not a place (我是白银的: where from, not who); "I'm Ahmed Khan" / "This is Li Na": two or three capitalised
# words (one word after "I'm" is as often a nationality: "I'm German").
_INTRODUCTION = re.compile(r"我是|本人是?|我这边是")
_PERSON_NAME_TAGS = ("nr", "nrfg", "nrt")
_INTRODUCED_NAME_ENDS = re.compile(r"$|[^\u4e00-\u9fff]|想|今年|在|从|来自|刚|目前|现在|准备|打算|请问|问|是|毕业|家住")
_NAME_WINDOW = 6  # characters after the introduction given to the tagger
_ENGLISH_INTRODUCTION = re.compile(r"\b(?:[Ii]['’]m|[Ii]\s+am|[Tt]his\s+is|[Ii]t['’]s|[Ii]t\s+is)\s+"
                                   r"(?P<v>[A-Z][a-z'-]+(?:\s+[A-Z][a-z'-]+){1,2})\b")


# "张伟 男 25岁 想贷款", "李娜，女，22岁": a name written the way a form is filled in, before the person's sex.
_BEFORE_SEX = re.compile(r"(?:^|(?<=[，,。；;、\s]))(?P<v>[\u4e00-\u9fff·]{2,4})[，,、\s]*[男女]"
                         r"(?=[，,、。；;\s]|$|[0-9０-９]|性)")


def _without_introduced_names(text: str) -> str:
    text = _ENGLISH_INTRODUCTION.sub(
        lambda match: match.group(0)[:match.start("v") - match.start()] + NAME_TOKEN, text)
    spans = [span for match in _INTRODUCTION.finditer(text) if (span := _introduced_name(text, match.end()))]
    spans += [match.span("v") for match in _BEFORE_SEX.finditer(text) if _is_a_persons_name(match.group("v"))]
    spans.sort()
    for start, end in reversed(spans):
        text = text[:start] + NAME_TOKEN + text[end:]
    return text


def warm_up() -> None:
    """Load what redaction loads on first use (jieba's tagger, the place names: about 0.25 s), so that the first
    message with 我是 in it does not hold up a server's other conversations."""
    redact("我是张伟")


def _is_a_persons_name(word: str) -> bool:
    """``word`` is one word that jieba's tagger calls a person's name (not a place: 兰州 男 25 stays)."""
    return _first_name(word) == word


def _introduced_name(text: str, start: int) -> tuple[int, int] | None:
    """The span of the person's name that starts at ``start`` (right after 我是), else None."""
    name = _first_name(text[start:start + _NAME_WINDOW])
    if name is None or not 2 <= len(name) <= 4 or not _INTRODUCED_NAME_ENDS.match(text, start + len(name)):
        return None
    return start, start + len(name)


def _first_name(text: str) -> str | None:
    """The first word of ``text`` when jieba's tagger calls it a person's name and it is no place, else None."""
    import jieba.posseg

    from nlu.regions import place_index

    first = next(iter(jieba.posseg.cut(text)), None)
    if first is None or first.flag not in _PERSON_NAME_TAGS or first.word in place_index():
        return None
    return first.word


def _replaced_span(match: re.Match[str]) -> tuple[int, int]:
    """The part of a match that is personal: its group ``v`` or ``w`` when the pattern has one, else all of it."""
    for group in ("v", "w"):
        if group in match.re.groupindex and match.start(group) >= 0:
            return match.span(group)
    return match.span()


def redact(text: str) -> str:
    """``text`` with valid ID, mobile and bank card numbers and e-mail addresses replaced by placeholders.

    Repeated until nothing changes, so the result has no match left and redacting it again changes nothing.
    Every change removes characters that stand for digits or an "@", so the loop ends.
    """
    while True:
        once = _redact_once(text)
        if _DIGIT_BESIDE_NUMERAL.search(once):  # "一6222…": read as digits, the numeral would lengthen the number
            once = _redact_once(once, numerals=False)
        if once == text:
            return once
        text = once


# Every form redaction replaces has a digit, an @, a run of Chinese numerals or the words that announce a name or
# a WeChat id: other strings are left as they are, which spares the intent and topic rankings most of the work.
# (plates, passports and dates have digits)
_MAY_BE_PERSONAL = re.compile(r"[0-9０-９@＠]|[零〇一二三四五六七八九幺两]{5}|叫|名字|姓名|微信|[Vv][Xx]|[Ww][Xx]|"
                               r"[Ww]e[Cc]hat|[Nn]ame|[Cc]all me|[Cc]alled|我是|本人|[男女]|"
                               r"(?:[Ii]['’]m|[Ii]\s+am|[Tt]his\s+is|[Ii]t['’]s|[Ii]t\s+is)\s+[A-Z]")


# Strings with digits that redaction left unchanged, remembered: the model id in every stored event, message ids,
# replies quoting the document's numbers. A string with personal data in it is never remembered.
_KNOWN_CLEAN: set[str] = set()
KNOWN_CLEAN_REMEMBERED = 8192


def _redacted_string(text: str) -> str:
    if text in _KNOWN_CLEAN:
        return text
    result = redact(text)
    if result is text:
        if len(_KNOWN_CLEAN) >= KNOWN_CLEAN_REMEMBERED:
            _KNOWN_CLEAN.clear()
        _KNOWN_CLEAN.add(text)
    return result


def redact_text(text: str) -> str:
    """``redact(text)``, sooner for the many texts that cannot hold personal data (see ``_MAY_BE_PERSONAL``) or
    were found clean before; the same result (a property test compares the two)."""
    return _redacted_string(text) if _MAY_BE_PERSONAL.search(text) else text


def redacted(value: Any) -> Any:
    """``value`` with every string in it redacted, dicts and lists walked (a stored event, its parse data and slots).

    What redaction leaves unchanged is returned as it is, the very object: ``redacted(value) is value`` tells that
    ``value`` holds no personal data (the tracker store relies on it, see ``bot.storage.tracker_cache``). Nothing is
    copied until a change is found: most stored values hold no personal data.
    """
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, dict):
        for index, (key, item) in enumerate(value.items()):
            new = redacted(item)
            if new is not item:
                items = list(value.items())
                changed = dict(items[:index])
                changed[key] = new
                changed.update((later_key, redacted(later)) for later_key, later in items[index + 1:])
                return changed
        return value
    if isinstance(value, list):
        for index, item in enumerate(value):
            new = redacted(item)
            if new is not item:
                return [*value[:index], new, *(redacted(later) for later in value[index + 1:])]
        return value
    return value
