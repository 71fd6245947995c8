"""Read eligibility facts out of users' free-text messages (Chinese, colloquial, and English).

The facts, their types and their valid values are defined in ``policy_kb/data/facts.yml``; the vocabulary lives in
``nlu/lexicons/facts.yml``; the modules of this package are the grammar. Two entry points:

* ``extract_facts(text)`` returns every fact a message states ("大三，兰大的，家里低保户" →
  student_status, from_gansu_university, low_income_family).
* ``interpret_answer(text, fact)`` reads the value of the one fact the assistant has just asked for from a
  short reply ("嗯", "没有", "三成", "毕业俩年了"), or returns None so that the assistant can ask again.

How a message is read:

1. ``normalize_text`` (simplified, half-width, lower case), then the lexicon's typo map (毕叶 → 毕业).
2. Lexicon phrases are matched longest-first (``phrases``). Each phrase sets facts, unless it is negated: a
   negation word in the few characters before it (不是低保户, 单位还没同意) or alone after it at the end of a clause
   (残疾证没有). Negation stops at punctuation, at a space between Chinese words, at other phrases and at words
   such as 但是. A phrase in a hypothetical clause (如果…) or in a question (是不是低保户) states nothing.
3. Numbers are read with a few regular expressions: graduation year or time since graduation (``times``: 四年多
   is 4.5, 去年七月 counts months), head counts and the small firms' share of a consortium (``counts``; a range
   is read as its upper bound, 七八个 → 8), in Chinese and English.
4. When two mentions disagree, the later one in the message wins (``reader``). Every value is checked against
   the schema before it is returned.

Deliberate choices: "小微" is small_or_micro; "毕业两年" does not imply fresh_graduate false (policy_kb.inference
does); an outside place after a location word ("在西安开公司") sets in_gansu false, not from_outside_gansu
(working elsewhere is not coming to Gansu); a place of origin ("天水人", "户籍在四川") only sets from_outside_gansu;
a place after 转让给/授权给 is where results are commercialised. Lexicons and the schema are loaded on first use;
importing this package reads no file.
"""

from nlu.facts.answers import interpret_answer
from nlu.facts.reader import extract_facts, restated_facts

__all__ = ["extract_facts", "interpret_answer", "restated_facts"]
