"""Finds the demonstration parks (专栏2) and university science parks (专栏3) that fit a business."""

from __future__ import annotations

from collections.abc import Iterable

from policy_kb.models import Park


def find_parks(text: str, parks: Iterable[Park], limit: int = 3) -> list[Park]:
    """Parks whose industries, keywords, city or university appear in ``text``, best match first.

    A match on a longer word counts more ("碳纤维" beats "纤维"); parks without any match are left out.
    """
    lowered = text.lower()
    scored: list[tuple[int, int, Park]] = []
    for order, park in enumerate(parks):
        words = {*park.keywords, *park.industries, park.city}
        if park.university:
            words.add(park.university)
        score = sum(len(word) for word in words if word and word.lower() in lowered)
        if score:
            scored.append((score, -order, park))
    scored.sort(key=lambda item: (item[0], item[1]), reverse=True)
    return [park for _, _, park in scored[:limit]]
