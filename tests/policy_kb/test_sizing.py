"""The national SME standard (工信部联企业〔2011〕300号) as policy_kb/sizing.py applies it: head counts alone, and
head counts with revenue (万元) for the groups the standard sizes by both."""

from __future__ import annotations

import pytest

from policy_kb.sizing import size_band, size_facts


@pytest.mark.parametrize(("employees", "revenue", "industry", "band"), [
    # 工业: 1000人以下或40000万元以下为中小微；300人及以上且2000万元及以上为中型；20人以下或300万元以下为微型
    (1200, 90000, "钢结构制造", "large"),
    (1200, 30000, "钢结构制造", "medium"),  # a revenue under the ceiling keeps it an SME ("或")
    (350, 3000, "制造", "medium"),
    (350, 1500, "制造", "small"),  # people and revenue both needed for medium ("且")
    (15, 3000, "制造", "micro"),  # under 20 people: micro, whatever the revenue
    (60, 250, "制造", "micro"),  # under 300万元: micro, whatever the head count
    # 软件和信息技术服务业: 10人以下或50万元以下为微型；100人及以上且1000万元及以上为中型
    (30, 800, "软件", "small"),
    # 批发业: 20人及以上且5000万元及以上为中型
    (60, 5000, "批发", "medium"),
])
def test_a_head_count_and_a_revenue_give_the_band(employees: int, revenue: float, industry: str, band: str) -> None:
    assert size_band(employees, revenue, industry) == band
    assert size_facts(employees, industry, revenue) == {"company_size": band}


def test_without_the_revenue_or_a_group_sized_by_it_the_head_count_rules_apply() -> None:
    assert size_band(1200, None, "制造") is None
    assert size_facts(1200, "制造") == {}  # 1 000 people or more: the revenue decides
    assert size_facts(15, "制造") == {"company_size": "micro", "size_small_or_micro": True, "size_sme": True}
    assert size_band(30, 800, "文物数字化扫描") is None  # 其他未列明行业 is sized by head count only
    assert size_band(None, 800, "制造") is None  # the head count is still needed
