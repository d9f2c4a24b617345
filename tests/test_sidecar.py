"""The metadata side file (``--meta``): rows found by path, file name or URL; its values override the title's and
are kept in reports; a malformed file is refused with every problem listed."""

from __future__ import annotations

import pandas as pd
import pytest
from click.testing import CliRunner
from conftest import CORPUS

from pipeline.cli import main
from pipeline.errors import MetaFileError
from pipeline.sidecar import SideFile

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
