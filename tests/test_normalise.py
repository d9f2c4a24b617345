import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline.normalise import header_unit, parse_value


@pytest.mark.parametrize(
    "raw,hint,value,unit,note",
    [
        ("12", None, 12.0, None, None),
        ("１２３", None, 123.0, None, None),  # full-width digits
        ("\u3000０ ", None, 0.0, None, None),  # ideographic space around a full-width zero
        ("+1036", None, 1036.0, None, None),  # 本年增/减: the plus sign is not part of the number
        ("＋４４２", None, 442.0, None, None),
        ("-8", None, -8.0, None, None),
        ("　－１５", None, -15.0, None, None),
        ("1,234", None, 1234.0, None, None),
        ("251000元", "unknown", 251000.0, "yuan", None),  # unit in the cell, and it is 元
        ("7380.28959万元", "unknown", 73802895.9, "yuan", None),
        ("4068.208", "万元", 40682080.0, "yuan", "scaled-wan"),  # keys.md example
        ("96171.6", "万元", 961716000.0, "yuan", "scaled-wan"),
        ("251000元", "万元", 251000.0, "yuan", None),  # the cell's unit overrides the header's
        ("75394432.52", "unknown", 75394432.52, None, "unit-unknown"),
        ("零", None, 0.0, None, None),
        ("3件", None, 3.0, None, None),
    ],
)
def test_numbers(raw, hint, value, unit, note):
    p = parse_value(raw, hint)
    assert p.value == pytest.approx(value, abs=1e-6) and p.unit == unit and p.note == note and p.raw == raw


@pytest.mark.parametrize("raw", ["", " ", "\u3000", "\n"])
def test_blank_is_null_not_zero(raw):
    p = parse_value(raw)
    assert p.value is None and p.note is None


@pytest.mark.parametrize("raw", ["/", "-", "—", "——", "无", "－", "／"])
def test_null_tokens_keep_their_raw_text(raw):
    p = parse_value(raw)
    assert p.value is None and p.note == "null-token" and p.raw == raw


@pytest.mark.parametrize("raw", ["见附件", "12 3 4件数", "abc"])
def test_unparsed_text_is_flagged(raw):
    assert parse_value(raw).note == "unparsed"


def test_header_unit():
    assert header_unit(["本年收费金额（单位：万元）"]) == "万元"
    assert header_unit(["采购总金额（元）"]) == "元"
    assert header_unit(["采购总金额"]) is None


@given(st.text(max_size=30))
def test_parse_value_never_raises_and_keeps_raw(raw):
    p = parse_value(raw)
    assert p.raw == raw
    assert p.value is None or math.isfinite(p.value)


@given(st.integers(min_value=-(10**9), max_value=10**9))
def test_integers_round_trip_in_any_width(n):
    half = str(n)
    full = half.translate(str.maketrans("0123456789-", "０１２３４５６７８９－"))
    assert parse_value(half).value == n == parse_value(full).value
