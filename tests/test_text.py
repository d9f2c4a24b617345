"""The text lexicon: folding, null tokens, list numbering, the shape of a figure and of a numbered line."""

import pytest

from pipeline.text import DASHES, NULL_TOKENS, NUMBERING, compact, fold, has_figure_shape, is_numbered_line


def test_compact_folds_width_and_drops_every_white_space():
    assert compact("１２\u3000３ 件\n") == "123件"
    assert compact(None) == "" and compact("") == ""


def test_fold_also_makes_traditional_characters_simplified():
    assert fold("規範性檔案 (行政機關)") == "规范性档案(行政机关)"
    assert fold("ＡＢＣ 1") == "ABC1"  # no Chinese: width and spaces only
    assert fold(None) == ""


@pytest.mark.parametrize("text", ["/", "—", "——", "无", "不适用", "n/a", "\\"])
def test_null_tokens(text):
    assert text in NULL_TOKENS


def test_a_cell_of_dashes_is_null_however_many():
    assert set("/-/-") <= DASHES and set("——") <= DASHES
    assert not set("0") <= DASHES


@pytest.mark.parametrize(
    "label,rest",
    [
        ("一、总体情况", "总体情况"),
        ("（三）不予公开", "不予公开"),
        ("(三)不予公开", "不予公开"),
        ("(1)规章", "规章"),
        ("1.属于国家秘密", "属于国家秘密"),
        ("2、重复申请", "重复申请"),
        ("1.5万元", "1.5万元"),  # a decimal is not a list number
        ("十二、其他", "其他"),
    ],
)
def test_numbering_at_the_start_of_a_label(label, rest):
    assert NUMBERING.sub("", fold(label), count=1) == fold(rest)


@pytest.mark.parametrize("text", ["12", "1,234", "-", "—", "/", "3.5万元", "-8", " 0 ", "１２", "10%"])
def test_figure_shapes(text):
    assert has_figure_shape(text)


@pytest.mark.parametrize("text", ["规章", "12件申请", "", "合计"])
def test_not_figure_shapes(text):
    assert not has_figure_shape(text)


@pytest.mark.parametrize("text", ["1. 属于", "１．属于", "（三）不予公开", "(3)其他", "十、其他", " 2、重复"])
def test_numbered_lines(text):
    assert is_numbered_line(text)


@pytest.mark.parametrize("text", ["属于国家秘密", "2021年", "12"])
def test_unnumbered_lines(text):
    assert not is_numbered_line(text)
