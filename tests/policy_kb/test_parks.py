"""Tests for policy_kb/parks.py."""

import pytest

from policy_kb.parks import find_parks


@pytest.mark.parametrize(("text", "expected"), [
    ("我做碳纤维的 去哪个园区", "白银碳纤维创业创新示范园"),
    ("想做锂电池材料", "兰州二次电池及电池材料创业创新示范园"),
    ("我们搞北斗导航终端", "兰州新区北斗卫星应用创业创新示范园"),
    ("清真食品加工", "临夏清真产业创业创新示范园"),
    ("兰大的科技园在哪", "兰州大学国家大学科技园"),
])
def test_best_park_for_a_business(kb, text: str, expected: str) -> None:
    assert find_parks(text, kb.parks)[0].name == expected


def test_no_park_for_an_unrelated_business(kb) -> None:
    assert find_parks("我想开个理发店", kb.parks) == []
