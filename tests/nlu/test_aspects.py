"""Tests for nlu/aspects.py: which aspect a message asks, whether it is only that, and "那X呢" follow-ups."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from nlu.aspects import aspects, continuation_of, read_aspect

HELDOUTS = [Path(__file__).parent / "aspects_heldout_a.yml", Path(__file__).parent / "aspects_heldout_b.yml"]
# Measured on the held-out file (written without seeing the lexicon); README "Answers" has the figures.
HELDOUT_TARGET = 0.80


@pytest.mark.parametrize(("text", "aspect"), [
    ("能贷多少", "amount"), ("创业担保贷款利率多少", "amount"), ("How much?", "amount"),
    ("要交啥材料", "materials"), ("要带啥证件", "materials"),
    ("最长几年", "time"), ("啥时候报名", "time"), ("几个月能批下来", "time"),
    ("谁能申请", "who"), ("3年后咋办", "afterwards"), ("期满了呢", "afterwards"),
    ("全省要建多少个众创空间", "targets"), ("每个县建几个孵化点", "targets"),
    ("楼上有二十几个工位 房租压力大 能补多少", "amount"), ("人社厅电话多少", "contact"),
    ("Who do I contact?", "contact"),
    ("这个文件还管用吗", "validity"), ("Is it still valid?", "validity"), ("找谁", "department"),
    ("个体户年报咋报", "how_to_apply"), ("创业担保贷款", "overview"), ("大学生创业有补贴吗", "overview"),
])
def test_the_aspect_asked(text: str, aspect: str) -> None:
    assert read_aspect(text).aspect == aspect


@pytest.mark.parametrize("text", ["要交啥材料", "多少钱", "找谁", "3年后咋办", "这个还有效吗", "How much?",
                                  "Is it still valid?"])
def test_a_question_with_nothing_but_the_aspect_is_elliptical(text: str) -> None:
    assert read_aspect(text).elliptical


@pytest.mark.parametrize("text", ["个体户年报咋报", "驾照考试多少钱", "全省要建多少个众创空间", "公积金怎么提取"])
def test_a_question_that_names_something_is_not_elliptical(text: str) -> None:
    assert not read_aspect(text).elliptical


@pytest.mark.parametrize(("text", "rest"), [("那版权呢", "版权"), ("那光伏的呢", "光伏"), ("商标呢？", "商标"),
                                            ("what about researchers?", "researchers")])
def test_that_x_follow_ups_name_x(text: str, rest: str) -> None:
    assert continuation_of(text) == rest


def test_overview_is_an_aspect_and_every_aspect_has_cues() -> None:
    assert aspects()[0] == "overview" and len(aspects()) == 12 and "full" in aspects()


@pytest.mark.parametrize(("text", "aspect"), [("我手机13812345678 大学生创业有社保补贴吗", "overview"),
                                             ("电话：0931-8888888 想问问创业贷款", "overview"),
                                             ("人社厅电话多少", "contact")])
def test_a_cue_followed_by_a_number_gives_a_value_and_asks_nothing(text: str, aspect: str) -> None:
    assert read_aspect(text).aspect == aspect


@pytest.mark.parametrize("text", ["详细", "详细点", "具体说说", "More", "tell me more"])
def test_asking_for_more_is_the_full_card(text: str) -> None:
    reading = read_aspect(text)
    assert reading.aspect == "full" and reading.elliptical


@pytest.mark.parametrize("path", HELDOUTS, ids=lambda path: path.stem)
def test_heldout_aspect_accuracy(path: Path) -> None:
    examples = yaml.safe_load(path.read_text(encoding="utf-8"))["examples"]
    right = sum(read_aspect(example["text"]).aspect == example["aspect"] for example in examples)
    print(f"\n{path.stem} aspect accuracy: {right}/{len(examples)} = {right / len(examples):.3f}")
    assert right / len(examples) >= HELDOUT_TARGET
