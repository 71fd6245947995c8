"""Company size from a head count, by the national SME standard (工信部联企业〔2011〕300号), outside the plan.

The standard defines a micro firm as "fewer than N people OR revenue below R", a medium one as "at least M people
AND revenue of at least S", and so on per industry group. A head count alone therefore settles some questions and
not others: under the micro threshold the firm is micro whatever its revenue; under the medium threshold it is small
or micro; under the SME ceiling it is not large. When the industry is not known, a count settles a question only if
it does so for every group the standard measures by head count (groups measured by revenue or assets alone, such as
farming or construction, need the industry first). Thresholds and their source are data:
``data/sme_size_standard.yml``; the words for each group: ``data/industry_groups.yml``.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import yaml

from policy_kb.loader import DATA_DIR
from policy_kb.models import PublicSource

STANDARD_PATH = DATA_DIR / "sme_size_standard.yml"
GROUPS_PATH = DATA_DIR / "industry_groups.yml"
# Facts this module adds for the size conditions (policy_kb/rules.py): True, False or absent (not settled).
SMALL_OR_MICRO_BY_COUNT = "size_small_or_micro"
SME_BY_COUNT = "size_sme"


@dataclass(frozen=True)
class HeadCountThresholds:
    """One industry group's head-count thresholds; None where the standard uses revenue or assets only. ``revenue``:
    its revenue thresholds in 万元 (micro_below, small_from, medium_from, sme_below), None where it uses none."""

    group: str
    name: str
    micro_below: int | None
    medium_from: int | None
    sme_below: int | None
    revenue: dict[str, float] | None = None


@dataclass(frozen=True)
class SizeStandard:
    title: str
    source: PublicSource
    groups: dict[str, HeadCountThresholds]
    words: dict[str, str]  # a word users write for their business → its group


@functools.lru_cache(maxsize=1)
def size_standard(standard_path: Path = STANDARD_PATH, groups_path: Path = GROUPS_PATH) -> SizeStandard:
    standard = yaml.safe_load(standard_path.read_text(encoding="utf-8"))
    groups = {}
    for group, entry in standard["industries"].items():
        employees = entry.get("employees") or {}
        revenue = entry.get("revenue")
        groups[group] = HeadCountThresholds(group, str(entry["name"]), employees.get("micro_below"),
                                            employees.get("medium_from"), employees.get("sme_below"),
                                            {key: float(value) for key, value in revenue.items()} if revenue else None)
    words: dict[str, str] = {}
    for group, group_words in yaml.safe_load(groups_path.read_text(encoding="utf-8"))["groups"].items():
        if group not in groups:
            raise ValueError(f"{groups_path.name}: group {group!r} is not in {standard_path.name}")
        for word in group_words:
            words.setdefault(str(word).lower(), group)
    source = standard["source"]
    return SizeStandard(str(standard["standard"]), PublicSource(str(source["url"]), str(source["title"]),
                                                                 str(source["published"]),
                                                                 str(source.get("excerpt") or "")),
                        groups, words)


def industry_group(industry: str | None) -> str | None:
    """The standard's group for the user's words about their business (the longest word found wins)."""
    if not industry:
        return None
    text = industry.lower()
    words = size_standard().words
    found = [word for word in words if word in text]
    return words[max(found, key=len)] if found else None


def thresholds_of(industry: str) -> HeadCountThresholds:
    """The thresholds of the group the user's business belongs to; a business the word lists do not know is in
    其他未列明行业 ("other")."""
    return size_standard().groups[industry_group(industry) or "other"]


def _settled(count: int, thresholds: list[HeadCountThresholds], attribute: str) -> bool | None:
    """True when the count is under the threshold for every group, False when it is not for any, else None."""
    limits = [getattr(group, attribute) for group in thresholds]
    if not limits or any(limit is None for limit in limits):
        return None
    if all(count < limit for limit in limits):
        return True
    return None  # at or above a "people AND revenue" threshold, the revenue decides: not settled by the count


def size_band(employees: int | None, revenue: float | None, industry: str | None) -> str | None:
    """The band (micro, small, medium, large) when the industry and a revenue are known and every measure the
    industry's group uses is known; else None. Micro: under either micro threshold; large: at or above both SME
    ceilings; medium: at or above both medium thresholds; small: the rest (the standard's "or" and "and")."""
    if revenue is None or not industry:
        return None
    group = thresholds_of(industry)
    if group.revenue is None:
        return None  # a group sized by head count alone or by assets: the head-count rules apply
    measures: list[tuple[float | None, dict[str, float]]] = [(revenue, group.revenue)]
    if group.sme_below is not None:
        measures.append((employees, {"micro_below": group.micro_below, "medium_from": group.medium_from,
                                     "sme_below": group.sme_below}))
    if any(value is None for value, _ in measures):
        return None  # a head count still to come
    if any(value < limits["micro_below"] for value, limits in measures):
        return "micro"
    if all(value >= limits["sme_below"] for value, limits in measures):
        return "large"
    if all(value >= limits["medium_from"] for value, limits in measures):
        return "medium"
    return "small"


def size_facts(employees: int | None, industry: str | None, revenue: float | None = None) -> dict[str, object]:
    """What a head count settles: ``company_size`` micro, small-or-micro, or not large (SME); with the revenue and
    the industry, the band itself."""
    band = size_band(employees, revenue, industry)
    if band is not None:
        return {"company_size": band}
    if employees is None:
        return {}
    if industry:
        candidates = [thresholds_of(industry)]
    else:
        candidates = [thresholds for thresholds in size_standard().groups.values()
                      if thresholds.micro_below is not None]
    facts: dict[str, object] = {}
    if _settled(employees, candidates, "micro_below"):
        facts["company_size"] = "micro"
    small_or_micro = _settled(employees, candidates, "medium_from")
    if small_or_micro is not None:
        facts[SMALL_OR_MICRO_BY_COUNT] = small_or_micro
    sme = _settled(employees, candidates, "sme_below")
    if sme is not None:
        facts[SME_BY_COUNT] = sme
    return facts
