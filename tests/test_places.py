"""Where each report comes from: province, city, county, GB/T 2260 codes and level, against a hand-checked list."""

from __future__ import annotations

import contextlib
import io
import random
import time

import pytest
from conftest import CORPUS, truth

from pipeline import divisions
from pipeline.divisions import parse
from pipeline.extract import extract
from pipeline.meta import agency_year
from pipeline.places import heading_candidates, place_of, report_place
from pipeline.run import ingest
from pipeline.tables import REPORTS

# Hand-checked against the GB/T 2260 division table, for every corpus report, by truth id:
# (province, province_code, city, city_code, county, county_code, level). None: the agency's name does not say
# where it is (a street or town name alone) or fits several divisions; the reason is then an issue.
EXPECTED = {
    "2019-beijing-tongzhou-xinhua-street": (None, None, None, None, None, None, "street"),  # 新华街道办事处
    "2019-fujian-pingtan-zone": ("福建省", "350000", "福州市", "350100", "平潭县", "350128", "county"),
    "2019-jiangsu-wuxi-xishan-yunlin-street": (None, None, None, None, None, None, "street"),  # 云林街道
    "2019-shanghai-city-govoffice": ("上海市", "310000", "上海市", "310000", None, None, "department"),
    "2020-fujian-pingtan-zone": ("福建省", "350000", "福州市", "350100", "平潭县", "350128", "county"),
    "2020-guangdong-guangzhou-liwan-nanyuan-street": (
        "广东省",
        "440000",
        "广州市",
        "440100",
        "荔湾区",
        "440103",
        "street",
    ),
    "2020-hubei-wuhan-huangpi-sanliqiao-street": (None, None, None, None, None, None, "street"),  # 三里桥街道办事处
    "2020-shaanxi-yulin-yuyang-tuofenglu-street": (None, None, None, None, None, None, "street"),  # 驼峰路街道办事处
    "2021-fujian-pingtan-zone": ("福建省", "350000", "福州市", "350100", "平潭县", "350128", "county"),
    "2021-hebei-shijiazhuang-qiaoxi-zhongshan-street": (
        "河北省",
        "130000",
        "石家庄市",
        "130100",
        "桥西区",
        "130104",
        "street",
    ),
    "2021-zhejiang-wenzhou-dongtou-beiao-street": (None, None, None, None, None, None, "street"),  # 北岙街道办事处
    "2022-hunan-yiyang-taojiang-songmutang-town": (
        "湖南省",
        "430000",
        "益阳市",
        "430900",
        "桃江县",
        "430922",
        "township",
    ),
    "2022-shaanxi-yulin-jiaxian-xi-town": (None, None, None, None, None, None, "township"),  # 螅镇
    "2023-jilin-changchun-veterans-affairs-bureau": ("吉林省", "220000", "长春市", "220100", None, None, "department"),
    # title "镇人民政府（名称未在摘录中出现，尼勒克县）": a town of 尼勒克县
    "2023-xinjiang-nileke-town": (
        "新疆维吾尔自治区",
        "650000",
        "伊犁哈萨克自治州",
        "654000",
        "尼勒克县",
        "654028",
        "township",
    ),
    "seed-2019-xiuzhou": ("浙江省", "330000", "嘉兴市", "330400", "秀洲区", "330411", "department"),
    "syn2019a": (None, None, None, None, None, None, "department"),  # 青山区: 包头市 or 武汉市
    "syn2019c": ("海南省", "460000", None, None, "白沙黎族自治县", "469025", "department"),  # 省直辖县: no city
    "syn2021b": ("吉林省", "220000", "白山市", "220600", "临江市", "220681", "department"),
}
FIELDS = ("province", "province_code", "city", "city_code", "county", "county_code", "level")
NULL_REASON = {"syn2019a": "place-ambiguous"}


def _row(record: dict) -> tuple:
    return tuple(None if record[f] is None or record[f] != record[f] else record[f] for f in FIELDS)


def test_every_corpus_report_is_in_the_hand_checked_list():
    ids = {p.stem for p in (CORPUS / "truth").glob("*.json")}
    assert ids == set(EXPECTED)


@pytest.mark.parametrize("rid", sorted(EXPECTED))
def test_place_of_each_truth_agency(rid):
    """The truth's agency name, placed: the same answer as from the document title."""
    agency = truth(rid)["agency"]
    place, issues = place_of(agency)
    got = _row(place.as_record())
    assert got == EXPECTED[rid]
    if got[0] is None:
        assert [i.code for i in issues] == [NULL_REASON.get(rid, "place-unknown")]
        assert agency in issues[0].message and issues[0].raw == agency
    else:
        assert issues == []


def test_place_columns_from_the_corpus_documents():
    """Reading each report's .docx gives the hand-checked place in ``reports``, and an issue for every null."""
    files = sorted((CORPUS / "docx").glob("*__docx_plain.docx"))
    batch = ingest(files)
    assert list(batch.reports.columns) == REPORTS.names
    assert str(batch.reports["county_code"].dtype) == "string"
    seen = set()
    for rec in batch.reports.astype(object).where(batch.reports.notna(), None).to_dict("records"):
        rid = rec["source_path"].rsplit("/", 1)[-1].split("__")[0]
        seen.add(rid)
        assert _row(rec) == EXPECTED[rid], rid
        codes = set(batch.issues.loc[batch.issues["report_id"] == rec["report_id"], "code"])
        if rec["province"] is None:
            assert NULL_REASON.get(rid, "place-unknown") in codes, rid
        else:
            assert not codes & {"place-unknown", "place-ambiguous"}, rid
    assert seen == set(EXPECTED)


def test_a_county_name_shared_by_several_cities_stays_null_unless_the_city_is_named():
    place, issues = place_of("鼓楼区教育局")
    assert place.county is None and place.level == "department"
    assert issues[0].code == "place-ambiguous" and "南京市" in issues[0].message and "福州市" in issues[0].message
    place, issues = place_of("南京市鼓楼区人民政府")
    assert (place.city, place.county, place.county_code, place.level) == ("南京市", "鼓楼区", "320106", "county")
    assert issues == []


def test_levels_of_governments_and_departments():
    assert place_of("江苏省人民政府")[0].level == "province"
    assert place_of("淮安市人民政府")[0].level == "city"
    assert place_of("淮安市人民政府")[0].city_code == "320800"
    assert place_of("北京市海淀区人民政府")[0].level == "county"
    assert place_of("江苏省教育厅")[0].level == "department"
    assert place_of("广州市荔湾区人民政府南源街道办事处")[0].level == "street"
    assert place_of("桃江县松木塘镇人民政府")[0].level == "township"


def test_the_title_line_says_more_than_the_agency():
    paragraphs = ["镇人民政府（名称未在摘录中出现，尼勒克县）2023年政府信息公开工作年度报告", "一、总体情况"]
    rec, issues = report_place("尼勒克县)", None, paragraphs)
    assert (rec["county"], rec["level"]) == ("尼勒克县", "township") and issues == []


def test_no_agency_gives_nulls_and_no_second_issue():
    rec, issues = report_place(None)
    assert all(v is None for v in rec.values()) and issues == []


def test_codes_come_from_the_shipped_division_table():
    codes = divisions.divisions().codes
    assert len([k for k in codes if len(k) == 1]) == 34  # provinces, municipalities, regions, HK, Macao, Taiwan
    assert all(len(c) == 6 and c.isdigit() for c in codes.values())


def test_a_title_broken_over_two_lines():
    paragraphs = ["镇人民政府（名称未在摘录中出现，尼勒克", "县）2023年政府信息公开工作年度报告", "一、总体情况"]
    rec, issues = report_place("县)", None, paragraphs)
    assert (rec["county"], rec["county_code"], rec["level"]) == ("尼勒克县", "654028", "township") and issues == []


# --- the index gives jionlp's answers ---------------------------------------------------------------------------------


def _jionlp(text: str) -> dict:
    """What jionlp's own parser says (the slow path the index replaces)."""
    with contextlib.redirect_stdout(io.StringIO()):
        import jionlp
    loc = jionlp.parse_location(text, town_village=True, change2new=True)
    return {k: loc.get(k) for k in ("province", "city", "county", "detail", "town")}


def _corpus_title_readings() -> tuple[set[str], set[str]]:
    """The true agencies, and the title readings the documents give."""
    agencies = {truth(p.stem)["agency"] for p in (CORPUS / "truth").glob("*.json")}
    readings: set[str] = set()
    for folder in ("docx", "pdf", "html", "txt", "md"):
        for f in sorted((CORPUS / folder).iterdir()):
            if f.suffix in (".docx", ".pdf", ".html", ".txt", ".md"):
                doc = extract(f)
                agency, _, _ = agency_year(doc.title, doc.paragraphs, str(f))
                readings.update(heading_candidates(agency, doc.title, doc.paragraphs))
    return agencies, readings


@pytest.mark.corpus
def test_the_index_reads_every_corpus_title_as_jionlp_does():
    agencies, readings = _corpus_title_readings()
    assert len(agencies) >= 15 and len(readings) >= 15  # every report's title gives one or more readings
    for text in sorted(agencies | readings):
        assert parse(text) == _jionlp(text), text


def _generated_names(n: int, seed: int) -> list[str]:
    """Agency-like names from the table: divisions by full name or alias, towns, two places run together, and the
    endings titles print (人民政府, 教育局, 街道办事处 … and 路, which makes an alias a street)."""
    d, rng = divisions.divisions(), random.Random(seed)
    endings = ["人民政府", "教育局", "街道办事处", "", "人民政府办公室", "发展和改革委员会", "管理委员会", "路", "大街"]
    out = []
    for _ in range(n):
        parts = []
        for _ in range(rng.choice([1, 1, 1, 2])):
            e = rng.choice(d.entries)
            parts += [pair[int(rng.random() < 0.3 and pair[1] is not None)] or "" for pair in e[1:4] if pair[0]]
            parts = [p for p in parts if rng.random() < 0.8]
            towns = [t for t in (d.towns.get("".join(x or "" for x in (e[1][0], e[2][0], e[3][0]))) or "").split("\n")]
            towns = [t for t in towns if t and not t.startswith("_")]
            if towns and rng.random() < 0.5:
                parts.append(rng.choice(towns))
            parts.append(rng.choice(endings))
        out.append("".join(parts))
    return out


def test_the_index_reads_generated_names_as_jionlp_does():
    for text in _generated_names(300, seed=15):
        assert parse(text) == _jionlp(text), text


def test_a_place_costs_well_under_5_ms():
    names = _generated_names(200, seed=16)
    parse(names[0])
    t0 = time.process_time()
    for text in names:
        parse(text)
    assert (time.process_time() - t0) / len(names) < 0.005


def test_the_index_is_built_once_and_then_read_from_the_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("XXGK_CACHE", str(tmp_path))
    divisions.divisions.cache_clear()
    try:
        built = divisions.divisions()
        assert len(list(tmp_path.glob("divisions-*.pickle"))) == 1
        divisions.divisions.cache_clear()
        loaded = divisions.divisions()
        assert loaded is not built and loaded == built
    finally:
        divisions.divisions.cache_clear()


def test_the_index_is_named_by_the_table_jionlp_ships_zipped(tmp_path, monkeypatch):
    """A fresh install holds china_location.zip only (jionlp unzips it on first use): the index's key is read from
    the zip, and stays the same once the text file has been unzipped beside it."""
    import importlib.util
    from types import SimpleNamespace

    folder = tmp_path / "jionlp" / "dictionary"
    folder.mkdir(parents=True)
    (folder / "china_location.zip").write_bytes(b"zipped table")
    (folder / "china_location_change.txt").write_text("changes", encoding="utf-8")
    spec = SimpleNamespace(submodule_search_locations=[str(tmp_path / "jionlp")])
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: spec if name == "jionlp" else None)
    fresh = divisions._table_key()
    (folder / "china_location.txt").write_text("the unzipped table", encoding="utf-8")
    assert divisions._table_key() == fresh
    (folder / "china_location.zip").unlink()
    (folder / "china_location_change.txt").unlink()
    with pytest.raises(ImportError, match="china_location_change"):
        divisions._table_key()
