"""Label forms and scores: what is folded away before two labels are compared, and how a cut-off label scores."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline.labels import PREFIX_SCORE, best_score, contains, forms, score, strip_numbering
from pipeline.text import fold


def test_numbering_is_stripped_at_every_level():
    assert strip_numbering(fold("（三）1.属于国家秘密")) == "属于国家秘密"
    assert strip_numbering("属于国家秘密") == "属于国家秘密"


@pytest.mark.parametrize(
    "label,full,short",
    [
        # the agency's fill-in remark in brackets gives a second, short form
        (
            "（二）部分公开（区分处理的，只计这一情形，不计其他情形）",
            "部分公开区分处理的只计这一情形不计其他情形",
            "部分公开",
        ),
        ("規章(設區的市、自治州人民政府應提供相關數據)", "规章设区的市自治州人民政府应提供相关数据", "规章"),
        ("採購項目數量(指202", "采购项目数量指202", "采购项目数量"),  # cut inside an unclosed bracket
    ],
)
def test_forms_full_and_without_bracketed_remarks(label, full, short):
    assert forms(label) == (full, short)


def test_a_label_with_nothing_to_drop_has_one_form():
    assert forms("1.属于国家秘密") == ("属于国家秘密",)


@pytest.mark.parametrize(
    "a,b",
    [
        ("本年新\n制作数量", "本年新制作数量"),  # a line break inside a header cell
        ("行 政 强 制", "行政强制"),
        ("規範性檔案", "规范性档案"),
        ("(一) 予以公开", "（一）予以公开"),
        ("規章(設區的市…應提供相關數據)", "规章"),  # the short form matches
    ],
)
def test_labels_equal_once_folded(a, b):
    assert score(a, b) == 100.0


def test_a_clear_prefix_scores_as_a_near_match_a_stub_does_not():
    assert score("社会公益", "社会公益组织") == PREFIX_SCORE  # cut off: four of six characters
    assert score("科研", "科研机构") < PREFIX_SCORE  # two of four: not a clear prefix
    assert score("其他", "其他处理") < PREFIX_SCORE


def test_one_different_character_scores_below_a_near_match():
    assert 80 < score("属于国家秘密", "属于国家机密") < 85


def test_empty_labels_score_zero():
    assert score("", "") == 0.0 and score("规章", "") == 0.0
    assert best_score("规章", []) == 0.0


def test_best_score_takes_any_iterable_of_labels():
    assert best_score("规章", iter(["行政许可", "規章"])) == 100.0


def test_contains_compares_normalised_text():
    assert contains("行政诉讼（未经复议直接起诉）", "未经复议 直接起诉")
    assert not contains("行政复议", "行政诉讼")
    assert not contains("行政复议", "")  # an empty label is in nothing


@given(st.text(max_size=30), st.text(max_size=30))
def test_score_is_symmetric_and_bounded(a, b):
    assert score(a, b) == score(b, a)
    assert 0.0 <= score(a, b) <= 100.0
