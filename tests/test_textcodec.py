"""Decoding the bytes of text formats, on tiny byte strings built in the test: BOMs, UTF-8 against a wrong
declaration, GBK and Big5 told apart by how they read, BOM-less UTF-16, undecodable bytes, and mojibake repair."""

import codecs

import pytest

from pipeline import textcodec
from pipeline.textcodec import common_share, decode_bytes, repair_mojibake, utf16_variant

TEXT = "一、总体情况 本年度收到申请12件"


@pytest.mark.parametrize(
    "bom,encoding",
    [
        (codecs.BOM_UTF8, "utf-8"),
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
        (codecs.BOM_UTF32_LE, "utf-32-le"),
    ],
)
def test_a_byte_order_mark_decides_and_is_dropped(bom, encoding):
    d = decode_bytes(bom + TEXT.encode(encoding), declared="gbk")
    assert (d.text, d.encoding, d.notes, d.warnings) == (TEXT, encoding, [], [])


def test_valid_utf8_wins_over_a_wrong_declaration_and_says_so():
    d = decode_bytes(TEXT.encode("utf-8"), declared="gb2312")
    assert (d.text, d.encoding) == (TEXT, "utf-8")
    assert d.notes == ["declared encoding gb2312 is wrong: the bytes are UTF-8"]
    assert decode_bytes(b"plain ascii", declared="gbk").notes == []  # ASCII is every encoding: nothing wrong


def test_gbk_bytes_read_as_gb18030_whatever_gb_name_is_declared():
    for declared in (None, "GB2312", "x-gbk", "cp936"):
        d = decode_bytes(TEXT.encode("gbk"), declared=declared)
        assert (d.text, d.encoding, d.notes) == (TEXT, "gb18030", [])
    wrong = decode_bytes(TEXT.encode("gbk"), declared="utf-8")
    assert wrong.text == TEXT and wrong.notes == ["declared encoding utf-8 is wrong: read as gb18030"]


def test_big5_is_told_from_gbk_by_how_common_its_characters_read(monkeypatch):
    monkeypatch.setattr(textcodec, "_charset_normalizer_guess", lambda data: None)  # the fixed candidates alone
    traditional = "政府資訊公開工作年度報告"
    d = decode_bytes(traditional.encode("big5"), declared="gb2312")
    assert (d.text, d.encoding) == (traditional, "big5")
    assert d.notes == ["declared encoding gb2312 is wrong: read as big5"]


def test_bomless_utf16_is_recognised_by_its_zero_bytes():
    page = "<html><body>2021年度报告 total 12</body></html>"
    for encoding in ("utf-16-le", "utf-16-be"):
        data = page.encode(encoding)
        assert utf16_variant(data) == encoding
        d = decode_bytes(data)
        assert (d.text, d.encoding, d.notes) == (page, encoding, [f"no byte-order mark: read as {encoding}"])
    assert utf16_variant(TEXT.encode("utf-8")) is None  # no zero byte at all
    assert utf16_variant(b"a\x00") is None  # too short to tell


def test_bytes_no_encoding_reads_are_kept_with_a_warning(monkeypatch):
    monkeypatch.setattr(textcodec, "_charset_normalizer_guess", lambda data: None)
    d = decode_bytes(b"\xff\xff\xff\xff")
    assert (d.text, d.encoding) == ("\ufffd" * 4, "gb18030")
    assert d.warnings == [
        "bytes are not valid in any known encoding; read as gb18030 with 4 unreadable characters replaced"
    ]
    assert decode_bytes(b"\xff\xff\xff\xff", declared="big5").encoding == "big5"  # a declared CJK codec is kept


def test_mojibake_runs_are_repaired_and_counted():
    # UTF-8 bytes once read as GBK (the web's decoder maps byte 0x80 to €) and saved again
    assert repair_mojibake("涓€銆佹€讳綋鎯呭喌") == ("一、总体情况", 1)
    assert repair_mojibake("第1页 涓€銆佹€讳綋鎯呭喌 ok") == ("第1页 一、总体情况 ok", 1)


def test_genuine_chinese_is_left_alone():
    for text in ("政府信息公开", "一、总体情况", "ascii only", ""):
        assert repair_mojibake(text) == (text, 0)


def test_common_share_counts_only_non_ascii_characters():
    assert common_share("abc 123") == 0.0
    assert common_share("一、总体情况") == 1.0
    assert common_share("ab涓€") == pytest.approx(0.5)  # 涓 is common, € is not
