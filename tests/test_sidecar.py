"""The metadata side file (``--meta``) and an address list's other columns: rows found by path, file name or a
downloaded report's addresses; their values override the title's and are kept in reports; a malformed file is
refused with every problem listed."""

from __future__ import annotations

import pandas as pd
import pytest
from click.testing import CliRunner
from conftest import CORPUS

from pipeline.cli import main
from pipeline.downloads import AddressError, read_list
from pipeline.errors import MetaFileError
from pipeline.issues import Issue, issues_to_records
from pipeline.sidecar import SideFile, address_key, apply_meta, shared_addresses
from pipeline.tables import Report, Status

REAL = (CORPUS / "html" / "2019-shanghai-city-govoffice.html", CORPUS / "seed-2019-xiuzhou.txt")


def _write(tmp_path, text: str):
    f = tmp_path / "meta.csv"
    f.write_text(text, encoding="utf-8")
    return f


def test_a_meta_file_fills_agency_and_place_for_the_two_real_files(tmp_path):
    meta = _write(
        tmp_path,
        "file,agency,region_code,published,url,remark\n"
        "html/2019-shanghai-city-govoffice.html,上海市人民政府办公厅,310000,2020-01-20,https://www.shanghai.gov.cn/x.html,\n"
        "seed-2019-xiuzhou.txt,嘉兴市秀洲区应急管理局,330411,,,from the URL\n",
    )
    out = tmp_path / "out"
    before = tmp_path / "before"
    assert CliRunner().invoke(main, ["ingest", *map(str, REAL), "--out", str(before)]).exit_code == 0
    res = CliRunner().invoke(main, ["ingest", *map(str, REAL), "--out", str(out), "--meta", str(meta)])
    assert res.exit_code == 0, res.output
    assert "columns ignored: remark" in res.output
    r = _by_name(pd.read_parquet(out / "reports.parquet"))
    assert r.loc["shanghai", "agency"] == "上海市人民政府办公厅" and r.loc["shanghai", "province_code"] == "310000"
    assert (
        r.loc["shanghai", "published"] == "2020-01-20"
        and r.loc["shanghai", "url"] == "https://www.shanghai.gov.cn/x.html"
    )
    assert r.loc["shanghai", "meta"] == "agency region_code published url"
    assert (r.loc["xiuzhou", "agency"], r.loc["xiuzhou", "county_code"]) == ("嘉兴市秀洲区应急管理局", "330411")
    assert (r.loc["xiuzhou", "city"], r.loc["xiuzhou", "level"]) == ("嘉兴市", "department")
    assert r["year"].tolist() == [2019, 2019]
    issues = pd.read_parquet(out / "issues.parquet")
    assert not issues["code"].isin(["agency-unknown", "place-unknown", "place-ambiguous"]).any()
    # without the side file the web page (an excerpt without its title) names no agency; the text's heading,
    # without a year, names one now, placed by the gazetteer
    b = _by_name(pd.read_parquet(before / "reports.parquet"))
    assert pd.isna(b.loc["shanghai", "agency"]) and pd.isna(b.loc["shanghai", "province"])
    assert (b.loc["xiuzhou", "agency"], b.loc["xiuzhou", "county_code"]) == ("秀洲区应急管理局", "330411")


def _by_name(reports: pd.DataFrame) -> pd.DataFrame:
    return reports.set_index(reports["source_path"].map(lambda p: "shanghai" if "shanghai" in p else "xiuzhou"))


def test_rows_are_found_by_path_last_folders_file_name_or_url(tmp_path):
    side = SideFile.load(
        _write(
            tmp_path,
            "path,url,agency\n"
            "/data/2020/a.pdf,,甲局\n"
            "2021/a.pdf,,乙局\n"
            ",http://www.gov.cn/zwgk/%E5%B9%B4%E6%8A%A5.html,丙局\n"
            "b.docx,,丁局\n"
            "x/b.docx,,戊局\n"
            "c.doc,,己局\n"
            "c.doc,,庚局\n",
        )
    )
    assert side.find("/data/2020/a.pdf")[0].agency == "甲局"
    assert side.find("/elsewhere/2021/a.pdf")[0].agency == "乙局"
    assert side.find("/elsewhere/2022/a.pdf") == (None, None)  # a.pdf is named only with its folders
    assert side.find("downloads/年报.html")[0].agency == "丙局"
    assert side.find("in/x/b.docx")[0].agency == "戊局"  # the longer path wins over the bare name
    assert side.find("in/y/b.docx")[0].agency == "丁局"
    meta, why = side.find("c.doc")
    assert meta is None and "rows 7, 8" in why
    assert {m.agency for m in side.unused()} == {"己局", "庚局"}


def test_a_file_two_rows_fit_gets_none_and_says_so(tmp_path):
    src = CORPUS / "docx" / "syn2021b__docx_plain.docx"
    meta = _write(tmp_path, f"file,agency\n{src.name},甲局\n{src.name},乙局\n")
    res = CliRunner().invoke(main, ["ingest", str(src), "--out", str(tmp_path / "out"), "--meta", str(meta)])
    assert res.exit_code == 0, res.output
    r = pd.read_parquet(tmp_path / "out" / "reports.parquet")
    assert r["agency"].item() == "临江市自然资源和规划局" and r["status"].item() == "partial"
    issues = pd.read_parquet(tmp_path / "out" / "issues.parquet")
    assert "meta-ambiguous" in set(issues["code"])


def test_a_malformed_meta_file_is_refused_with_every_problem(tmp_path):
    meta = _write(
        tmp_path,
        "file,agency,region_code,year,published\n"
        "a.pdf,甲局,999999,2019,2020-13-01\n"
        ",乙局,,,\n"
        "c.pdf,丙局,3304,二〇一九,\n",
    )
    with pytest.raises(MetaFileError) as e:
        SideFile.load(meta)
    msg = str(e.value)
    for part in ("line 2: region_code '999999'", "line 2: published '2020-13-01'", "line 3: no file", "'3304'"):
        assert part in msg
    assert "line 4: year '二〇一九'" in msg
    res = CliRunner().invoke(main, ["ingest", str(REAL[1]), "--out", str(tmp_path / "out"), "--meta", str(meta)])
    assert res.exit_code == 2 and "region_code '999999'" in res.output
    assert not (tmp_path / "out").exists()  # refused before the folder is touched
    nokey = _write(tmp_path, "name,agency\na.pdf,甲局\n")
    with pytest.raises(MetaFileError, match="no column file or path or url"):
        SideFile.load(nokey)


def test_addresses_compare_without_trivial_differences():
    key = address_key("https://www.gov.cn/zwgk/nb/")
    for same in (
        "HTTPS://WWW.gov.cn:443/zwgk/nb",
        "https://www.gov.cn/zwgk/nb#top",
        " https://www.gov.cn/zwgk/%6Eb/ ",
    ):
        assert address_key(same) == key, same
    for other in ("http://www.gov.cn/zwgk/nb", "https://www.gov.cn:8443/zwgk/nb", "https://gov.cn/zwgk/nb"):
        assert address_key(other) != key, other
    assert address_key("http://x.cn") == address_key("http://x.cn:80/") == "http://x.cn/"
    assert address_key("ftp://x.cn/a") is None and address_key("http://[x") is None


def test_a_downloaded_report_is_found_by_its_addresses_the_surest_first(tmp_path):
    side = SideFile.load(
        _write(
            tmp_path,
            "url,agency\n"
            "http://a.gov.cn/files/report.pdf,by file\n"
            "http://a.gov.cn/ndbg/page.html,by page\n"
            "http://a.gov.cn/ndbg/,by channel\n"
            "http://a.gov.cn/list/old.html,by listed address\n",
        )
    )
    stored = "downloads/files/0123456789abcdef/新华街道2019年年度报告.pdf"  # the name the link gave, not the address's
    urls = dict(url="http://a.gov.cn/files/report.pdf", page_url="http://a.gov.cn/ndbg/page.html")
    assert side.find(stored, {**urls, "listed_url": "http://a.gov.cn/ndbg"})[0].agency == "by file"
    assert side.find(stored, {**urls, "url": "http://a.gov.cn/files/x.pdf"})[0].agency == "by page"
    assert side.find(stored, dict(url="http://a.gov.cn/f/x.pdf", listed_url="http://A.gov.cn/ndbg"))[0].agency == (
        "by channel"
    )
    moved = dict(url="http://a.gov.cn/list/old.html", final_url="http://a.gov.cn/new.html")
    assert side.find(stored, moved)[0].agency == "by listed address"
    assert side.find(stored, dict(url="http://b.gov.cn/files/report.pdf")) == (None, None)
    # on disk, without its addresses, a report is still found by the last segment of a url, as before
    assert side.find("reports/report.pdf")[0].agency == "by file"


def test_a_list_fills_what_the_side_file_leaves_and_settles_the_doubts_it_answers(tmp_path):
    page = "http://a.gov.cn/ndbg/page.html"
    listed = SideFile.from_list(
        "urls.csv", [(1, page, {"机关": "甲街道办事处", "行政区划代码": "110112", "发布日期": "2020/1/5", "备注": "x"})]
    )
    assert listed.rows[0].published == "2020-01-05" and listed.rows[0].region_code == "110112"
    side = SideFile.load(_write(tmp_path, f"url,year\n{page}/,2019\n"))
    report = Report("dl/files/a/report.pdf", Status.PARTIAL, "a" * 16, url="http://a.gov.cn/r.pdf", page_url=page)
    report.n_doubts = 1  # the year the title did not give
    issues = issues_to_records([Issue("year-unknown", "no year")], report_id="a" * 16, source_path=report.source_path)
    assert apply_meta(report, issues, [side, listed], []) is None  # the region code placed it
    assert (report.agency, report.year, report.published) == ("甲街道办事处", 2019, "2020-01-05")
    assert report.place["county_code"] == "110112" and report.meta == "agency region_code year published"
    assert report.url == "http://a.gov.cn/r.pdf"  # the address the bytes came from is kept
    assert issues == [] and report.n_doubts == 0 and report.status == Status.OK and report.read_status == "ok"
    # the side file's value wins over the list's; two rows of one side fitting a file are a doubt
    both = SideFile.load(_write(tmp_path, f"url,agency\n{page},乙局\n{page}#x,丙局\n"))
    r = Report("dl/files/b/report.pdf", Status.OK, "b" * 16, page_url=page)
    issues = []
    apply_meta(r, issues, [both, listed], [])
    assert r.agency == "甲街道办事处" and [i["code"] for i in issues] == ["meta-ambiguous"]
    assert r.status == Status.PARTIAL and r.n_doubts == 1 and r.read_status == "doubtful"
    one = SideFile.load(_write(tmp_path, f"url,agency\n{page},乙局\n"))
    apply_meta(r, [], [one, listed], [])
    assert r.agency == "乙局"


def test_a_channel_address_finds_none_of_its_reports():
    channel, page = "http://a.gov.cn/ndbg/", "http://a.gov.cn/ndbg/p1.html"
    provenance = {
        "dl/1.pdf": dict(listed_url=channel, page_url=page, url="http://a.gov.cn/1.pdf"),
        "dl/1.html": dict(listed_url=channel, page_url=page, url=page),
        "dl/2.pdf": dict(listed_url=channel, page_url=channel, url="http://a.gov.cn/2.pdf"),
        "dl/3.pdf": dict(listed_url=channel, page_url=channel, url="http://a.gov.cn/3.pdf"),
        "dl/4.pdf": dict(listed_url="http://a.gov.cn/4.pdf", url="http://a.gov.cn/4.pdf"),
    }
    candidates = {"dl/1.pdf": "p1", "dl/1.html": "p1"}  # a report page's two candidate files: one report
    shared = shared_addresses(provenance, candidates)
    assert shared == {address_key(channel)}
    listed = SideFile.from_list("urls.csv", [(1, channel, {"agency": "某区人民政府"}), (2, page, {"year": "2019年"})])
    for path, columns in provenance.items():
        r = Report(path, Status.OK, "c" * 16, **columns)
        apply_meta(r, [], [listed], [], shared)
        assert r.agency is None, path
        assert r.year == (2019 if path.startswith("dl/1.") else None), path


def test_a_list_column_that_is_no_value_of_its_field_stops_the_run(tmp_path):
    lst = tmp_path / "urls.csv"
    lst.write_text("url,agency,region_code,published\nhttp://a.gov.cn/1.html,甲,999999,2020-02-30\n")
    with pytest.raises(AddressError) as e:
        read_list(lst)
    assert "row 1: region_code '999999'" in str(e.value) and "row 1: published '2020-02-30'" in str(e.value)
    two = _write(tmp_path, "file,agency,机关\na.pdf,甲,乙\n")
    with pytest.raises(MetaFileError, match="'agency', '机关' all give agency"):
        SideFile.load(two)
    with pytest.raises(MetaFileError, match="all give url"):
        SideFile.load(_write(tmp_path, "url,year,url\nhttp://a.gov.cn/1.html,2019,\n"))
