"""Every ingest writes datapackage.json; the frictionless library validates it against the files it describes."""

from __future__ import annotations

import json
import shutil

import pandas as pd
import pytest
from click.testing import CliRunner
from conftest import CORPUS
from frictionless import validate

from pipeline.cli import main
from pipeline.issues import CODES
from pipeline.tables import OUTPUT_TABLES
from pipeline.tables_extra import AUDIT_TABLES, CODEBOOK

FILES = (
    "2019-shanghai-city-govoffice__docx_messy.docx",
    "2021-hebei-shijiazhuang-qiaoxi-zhongshan-street__docx_plain.docx",
    "syn2019a__docx_plain.docx",
)


@pytest.fixture(scope="module", params=["csv", "parquet"])
def out(request, tmp_path_factory):
    tmp = tmp_path_factory.mktemp(f"dp-{request.param}")
    src = tmp / "in"
    src.mkdir()
    for name in FILES:
        shutil.copy(CORPUS / "docx" / name, src / name)
    res = CliRunner().invoke(main, ["ingest", str(src), "--out", str(tmp / "out"), "--format", request.param])
    assert res.exit_code == 0, res.output
    return tmp / "out"


def test_datapackage_validates_with_frictionless(out):
    report = validate(out / "datapackage.json")
    assert report.valid, report.flatten(["taskName", "rowNumber", "fieldName", "type", "note"])
    rows = {t.name: t.stats["rows"] for t in report.tasks}
    assert rows["reports"] == len(FILES) and rows["cells"] > 100 and rows["issues"] >= 1


def test_descriptor_describes_every_column_and_key(out):
    dp = json.loads((out / "datapackage.json").read_text(encoding="utf-8"))
    res = {r["name"]: r for r in dp["resources"]}
    assert set(res) == {"cells", "reports", "issues", "narrative", "codebook"}
    for name, table in {**OUTPUT_TABLES, "codebook": CODEBOOK}.items():
        fields = res[name]["schema"]["fields"]
        assert [f["name"] for f in fields] == table.names
        assert all(f["description"] and f["title"] for f in fields), name
        assert (out / res[name]["path"]).exists()
    assert res["reports"]["schema"]["primaryKey"] == ["source_path"]  # a duplicate file repeats its report_id
    assert res["cells"]["schema"]["primaryKey"] == ["report_id", "table", "row", "col"]
    # report_id alone is not unique in reports (a byte copy repeats it): the join is on the pair
    key = ["report_id", "source_path"]
    assert res["cells"]["schema"]["foreignKeys"][0] == {
        "fields": key,
        "reference": {"resource": "reports", "fields": key},
    }
    types = {f["name"]: f["type"] for f in res["cells"]["schema"]["fields"]}
    assert (types["value"], types["year"], types["raw"]) == ("number", "integer", "string")
    code = next(f for f in res["issues"]["schema"]["fields"] if f["name"] == "code")
    assert set(code["constraints"]["enum"]) == set(CODES)


def test_a_broken_file_fails_validation(out, tmp_path):
    """The check can fail: a report row whose key is duplicated and whose year is text is caught."""
    if not (out / "reports.csv").exists():
        pytest.skip("edits the CSV output")
    broken = tmp_path / "broken"
    shutil.copytree(out, broken)
    lines = (broken / "reports.csv").read_text(encoding="utf-8-sig").splitlines()
    head = lines[0].split(",")
    bad = lines[1].split(",")
    bad[head.index("year")] = "二〇一九"
    (broken / "reports.csv").write_text("\n".join([lines[0], *lines[1:], ",".join(bad)]) + "\n", encoding="utf-8-sig")
    report = validate(broken / "datapackage.json")
    assert not report.valid
    kinds = {e[0] for e in report.flatten(["type"])}
    assert {"type-error", "primary-key"} <= kinds


def test_a_batch_with_duplicate_files_still_validates(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    f = CORPUS / "docx" / "syn2021b__docx_plain.docx"
    shutil.copy(f, src / "a.docx")
    shutil.copy(f, src / "b.docx")  # same bytes: read once, the other path is a skipped row with the same report_id
    out = tmp_path / "out"
    CliRunner().invoke(main, ["ingest", str(src), "--out", str(out), "--format", "csv"])
    report = validate(out / "datapackage.json")
    assert report.valid, report.flatten(["taskName", "rowNumber", "type", "note"])
    # the documented join keeps every cell once; report_id alone would double the copied report's cells
    cells = pd.read_csv(out / "cells.csv", encoding="utf-8-sig", dtype=str)
    reports = pd.read_csv(out / "reports.csv", encoding="utf-8-sig", dtype=str)
    assert reports["report_id"].duplicated().any() and not reports["source_path"].duplicated().any()
    assert len(cells.merge(reports, on=["report_id", "source_path"])) == len(cells)
    assert len(cells.merge(reports, on="report_id")) == 2 * len(cells)


def test_the_code_book_names_every_key_with_its_labels(out, schema):
    dp = json.loads((out / "datapackage.json").read_text(encoding="utf-8"))
    path = next(out / r["path"] for r in dp["resources"] if r["name"] == "codebook")
    book = pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path, encoding="utf-8-sig", dtype=str)
    cells = book[book["kind"] == "cell"]
    for tpl in schema.templates.names:
        keys = {f"{t}:{r}:{c}" for t, spec in schema.tables.items() for r, c in spec.keys(tpl)}
        assert set(cells[cells["template"] == tpl]["key"]) == keys
    assert cells["label_zh"].notna().all() and cells["panel_key"].notna().all()
    row = cells[(cells["key"] == "requests:denied.state_secret:natural_person") & (cells["template"] == "2021")]
    assert row["label_zh"].item() == "（三）不予公开 1.属于国家秘密｜申请人情况 自然人"
    fee = cells[(cells["key"] == "proactive:fees:amount")]
    assert fee["unit"].tolist() == ["yuan"] and fee["template"].tolist() == ["2021"]
    rates = book[book["kind"] == "rate"]
    assert set(rates["key"]) == {r.name for r in schema.panel.rates} and rates["formula"].notna().all()
    # every field with few values declares them
    fields = {f["name"]: f for r in dp["resources"] for f in r["schema"]["fields"] if r["name"] == "reports"}
    assert {"status", "template", "level"} <= {n for n, f in fields.items() if "constraints" in f}


def test_the_audit_tables_are_described_and_validate(out, tmp_path):
    audited = tmp_path / "audited"
    shutil.copytree(out, audited)
    res = CliRunner().invoke(main, ["audit", str(audited)])
    assert res.exit_code == 0, res.output
    report = validate(audited / "datapackage.json")
    assert report.valid, report.flatten(["taskName", "rowNumber", "fieldName", "type", "note"])
    rows = {t.name: t.stats.get("rows", 0) for t in report.tasks}  # no count for a table with no rows
    assert rows["audit_failures"] >= 1 and rows["reports"] == len(FILES)
    dp = json.loads((audited / "datapackage.json").read_text(encoding="utf-8"))
    res = {r["name"]: r for r in dp["resources"]}
    assert set(res) == set(OUTPUT_TABLES) | set(AUDIT_TABLES) | {"codebook"}
    for name, table in AUDIT_TABLES.items():
        assert [f["name"] for f in res[name]["schema"]["fields"]] == table.names
        assert (audited / res[name]["path"]).exists()
