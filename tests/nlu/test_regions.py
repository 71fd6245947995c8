"""Another region's own policy versus a person from elsewhere starting up in Gansu (place data from cpca)."""

from __future__ import annotations

import pytest

from nlu.regions import find_places, read_regions


@pytest.mark.parametrize(("text", "region"), [
    ("南京应届生求职补贴多少钱", "南京"),
    ("四川返乡创业有啥补贴", "四川"),
    ("深圳创业担保贷款能贷多少", "深圳"),
    ("陕西大学生创业社保补贴咋申请", "陕西"),
    ("上海科研人员离岗创业政策", "上海"),
    ("在深圳创业能贷多少", "深圳"),
    ("What startup grants does Shanghai offer?", "shanghai"),
    ("How do startup loans work in Shenzhen?", "shenzhen"),
    ("美国创业有补贴吗", "美国"),
    ("Does Shaanxi have a similar startup loan?", "shaanxi"),  # the official spelling, not plain pinyin
    ("And Shanxi province, what do they give?", "shanxi"),
])
def test_another_regions_measure_is_named(text: str, region: str) -> None:
    assert read_regions(text).other_region == region


@pytest.mark.parametrize("text", [
    "在广州打工八年 想回定西养羊",
    "俺在内蒙古放了好几年羊 打算回老家搞养殖 有啥扶持",  # where the person is now, coming back from
    "Worked in a Guangzhou factory for six years, now moving back to my village. Any support for returnees?",
    "我是湖南人 想在天水办科技公司",
    "We're angel investors based in Beijing. Could we set up a fund there too?",  # "there": the place discussed
    "I grew up in Sichuan and studied in Chengdu; is there support for graduates who start a company?",
    "A Shanghai-based team of three, thinking about opening a branch. Any tax breaks?",
    "北京人在兰州开公司有啥扶持",
    "我在西安上学 毕业想回兰州创业",
    "我表姐在成都念的研究生 她也能领吗",  # where she studied: a fact about her, the measure discussed asked about
    "Would it still apply if our company is in Sichuan?",  # the person's business, the measure discussed
    "在武汉上的大学 能算应届生吗",
    "在深圳开了个公司 能领社保补贴吗",  # the person's situation: a fact for the eligibility check
    "公司注册在西宁",
    "Can a foreigner open a company in Lanzhou?",
    "甘肃和陕西的创业补贴有啥区别",  # Gansu is named: its measures are asked about
    "大学生创业有社保补贴吗",
    "个体户年报咋报",
    "和平精英 东方红",  # division names that are everyday words are not places
])
def test_gansu_questions_and_people_from_elsewhere_stay_in_scope(text: str) -> None:
    assert read_regions(text).other_region is None


def test_places_are_resolved_to_their_provinces() -> None:
    places = {place.name: place for place in find_places("在广州打工八年 想回定西养羊")}
    assert places["广州"].provinces == frozenset({"广东省"}) and places["广州"].is_origin
    assert places["定西"].provinces == frozenset({"甘肃省"}) and not places["定西"].is_origin
