"""The research panel: one row per (agency, year) however many files hold a report; harmonised keys; derived
totals flagged; rates NA (never 0, never infinite) when their denominator is 0 or an operand blank."""

from __future__ import annotations

import json
import math
import shutil

import pandas as pd
import pytest
from click.testing import CliRunner
from conftest import CORPUS, truth
from frictionless import validate

from pipeline.cli import main
from pipeline.dataset import read_dataset
from pipeline.panel import derive_totals, harmonise, panel_frame, panel_table, rate
from pipeline.run import ingest
from pipeline.tables import Batch

PLAIN_2019 = CORPUS / "docx" / "syn2019a__docx_plain.docx"  # 青山区人力资源和社会保障局 2019
PLAIN_2021 = CORPUS / "docx" / "syn2021b__docx_plain.docx"  # 临江市自然资源和规划局 2022


@pytest.fixture(scope="module")
def two():
    return ingest([PLAIN_2019, PLAIN_2021])


def _as_file(batch: Batch, source: str, rid: str, path: str, **report) -> Batch:
    """The cells, reports row and issues of ``source`` again under another file (another id, path, name …)."""
    c = batch.cells[batch.cells["source_path"] == source].assign(report_id=rid, source_path=path)
    r = batch.reports[batch.reports["source_path"] == source].assign(report_id=rid, source_path=path, **report)
    i = batch.issues[batch.issues["source_path"] == source].assign(report_id=rid, source_path=path)
    return Batch(c, r, i)


def _concat(*batches: Batch) -> Batch:
    return Batch(
        *(pd.concat([getattr(b, t) for b in batches], ignore_index=True) for t in ("cells", "reports", "issues"))
    )


def test_the_same_report_in_three_files_is_one_row_with_the_others_listed(two):
    src = str(PLAIN_2019)
    batch = _concat(
        two,
        _as_file(two, src, "a" * 16, "/x/report.html", format="html"),
        _as_file(two, src, "b" * 16, "/x/report.pdf", format="pdf"),
    )
    copy = two.reports[two.reports["source_path"] == src].assign(
        source_path="/x/copy.docx", status="skipped", duplicate_of=src
    )
    batch.reports = pd.concat([batch.reports, copy], ignore_index=True)
    p = panel_frame(batch)
    assert len(p) == 2 and p["panel_id"].is_unique
    row = p[p["year"] == 2019].iloc[0]
    assert row["n_files"] == 4 and row["n_conflicts"] == 0
    assert row["source_path"] == src  # docx before html and pdf when nothing else tells them apart
    assert set(row["other_files"].split("; ")) == {"/x/report.html", "/x/report.pdf", "/x/copy.docx"}
    assert row["requests:new:total"] == 196


def test_a_title_misread_by_ocr_joins_its_report_when_the_figures_agree(two):
    src = str(PLAIN_2019)
    ocr = _as_file(two, src, "c" * 16, "/x/scan.pdf", agency="青山区人力资源和社会保障司", format="pdf")
    ocr.cells = ocr.cells.assign(confidence=91.0)
    p = panel_frame(_concat(two, ocr))
    assert len(p) == 2
    row = p[p["year"] == 2019].iloc[0]
    assert row["agency"] == "青山区人力资源和社会保障局" and row["source_path"] == src  # text layer over OCR


def test_different_agencies_stay_apart_even_with_the_same_figures(two):
    src = str(PLAIN_2019)
    # another office's identical tables (a copied report): the names contradict, so two rows
    other = _as_file(two, src, "d" * 16, "/x/other.docx", agency="云林街道办事处")
    assert len(panel_frame(_concat(two, other))) == 3
    # a name no title gave joins only figures that agree beyond chance; zeros alone never do
    zeros = _as_file(two, src, "e" * 16, "/x/zeros.docx", agency=None)
    zeros.cells = zeros.cells.assign(value=zeros.cells["value"].where(zeros.cells["value"].isna(), 0.0))
    twin = _as_file(two, src, "f" * 16, "/x/twin.docx", agency="驼峰路街道办事处")
    twin.cells = zeros.cells.assign(report_id="f" * 16, source_path="/x/twin.docx")
    p = panel_frame(_concat(two, zeros, twin))
    assert len(p) == 4
    unknown = _as_file(two, src, "9" * 16, "/x/untitled.docx", agency=None)
    assert len(panel_frame(_concat(two, unknown))) == 2


def test_a_blank_total_is_derived_only_from_all_its_parts_and_flagged(schema):
    values = {("requests", "granted", c): 1.0 for c in ("natural_person", "commercial", "research", "nonprofit")}
    values |= {("requests", "granted", "legal_services"): 0.0, ("requests", "granted", "other_org"): 2.0}
    values[("requests", "granted", "total")] = None  # printed blank
    values |= {("requests", "partial", c): 1.0 for c in ("natural_person", "commercial", "research", "nonprofit")}
    values |= {("requests", "partial", "legal_services"): None, ("requests", "partial", "other_org"): 0.0}
    values[("requests", "partial", "total")] = None  # a part is blank too: stays NA
    derived = derive_totals(values, {"requests": "2021"}, schema)
    assert values[("requests", "granted", "total")] == 6.0
    assert values[("requests", "partial", "total")] is None
    assert ("requests", "granted", "total") in derived and ("requests", "partial", "total") not in derived
    figures, flagged = harmonise(values, {"requests": "2021"}, schema.panel.keys, derived)
    assert figures["requests:granted:total"] == 6.0 and "requests:granted:total" in flagged
    assert figures["requests:partial:total"] is None


def test_2021_other_rows_sum_to_the_2019_row(schema):
    rows = ("other.no_correction", "other.unpaid_fee", "other.other")
    values = {("requests", r, "total"): v for r, v in zip(rows, (2.0, 1.0, 4.0), strict=True)}
    figures, flagged = harmonise(values, {"requests": "2021"}, schema.panel.keys)
    assert figures["requests:other:total"] == 7.0 and "requests:other:total" in flagged
    assert figures["requests:other.other:total"] == 4.0  # the 2021 rows are kept too
    figures, flagged = harmonise({("requests", "other", "total"): 3.0}, {"requests": "2019"}, schema.panel.keys)
    assert figures["requests:other:total"] == 3.0 and not flagged
    assert figures["requests:other.other:total"] is None  # template-specific: NA for a 2019 report
    values[("requests", "other.unpaid_fee", "total")] = None
    assert harmonise(values, {"requests": "2021"}, schema.panel.keys)[0]["requests:other:total"] is None


def test_a_rate_with_a_zero_denominator_is_na_never_zero_or_infinite(schema, two):
    share = next(r for r in schema.panel.rates if r.name == "granted_share")
    assert rate(share, {"requests:granted:total": 0.0, "requests:handled_total:total": 0.0}) is None
    assert rate(share, {"requests:granted:total": 3.0, "requests:handled_total:total": 0.0}) is None
    assert rate(share, {"requests:granted:total": None, "requests:handled_total:total": 4.0}) is None
    assert rate(share, {"requests:granted:total": 0.0, "requests:handled_total:total": 4.0}) == 0.0
    # in the panel: a report that handled no request
    src = str(PLAIN_2021)
    zero = _as_file(two, src, "7" * 16, "/x/none.docx", agency="某某局")
    c = zero.cells
    handled = (c["table"] == "requests") & c["row"].isin(["handled_total", "granted"]) & (c["col"] == "total")
    zero.cells = c.assign(value=c["value"].mask(handled, 0.0))
    p = panel_frame(_concat(two, zero)).set_index("agency")
    assert p.loc["某某局", "requests:handled_total:total"] == 0
    for r in schema.panel.rates:
        v = p[r.name]
        assert not any(math.isinf(x) for x in v.dropna()), r.name
    assert pd.isna(p.loc["某某局", "granted_share"]) and pd.isna(p.loc["某某局", "disclosure_rate"])
    assert p.loc["临江市自然资源和规划局", "granted_share"] == pytest.approx(9 / 239)


def test_panel_columns_are_documented(schema):
    t = panel_table(schema)
    assert t.names[0] == "panel_id" and len(set(t.names)) == len(t.names)
    for c in t.columns:
        assert c.title and c.description, c.name
    rates = {c.name: c for c in t.columns if c.name in {r.name for r in schema.panel.rates}}
    assert "NA when" in rates["granted_share"].description and "/" in rates["granted_share"].description
    assert "template 2019 only" in t.column("proactive:procurement:amount").description


@pytest.mark.corpus
def test_each_report_as_docx_web_page_and_pdf_is_one_row(tmp_path):
    """Every report of the corpus ingested as .docx, web page and PDF: one row each, with the truth's figures."""
    src = tmp_path / "in"
    src.mkdir()
    ids = sorted(p.stem for p in (CORPUS / "truth").glob("*.json"))
    for i in ids:
        for f in (f"docx/{i}__docx_plain.docx", f"html/{i}__html.html", f"pdf/{i}__pdf_lattice.pdf"):
            shutil.copy(CORPUS / f, src / f.split("/")[1])
    out = tmp_path / "out"
    res = CliRunner().invoke(main, ["ingest", str(src), "--out", str(out), "--workers", "2"])
    assert res.exit_code == 0, res.output
    res = CliRunner().invoke(main, ["export", str(out), "--panel"])
    assert res.exit_code == 0, res.output
    panel = pd.read_parquet(out / "panel.parquet")
    assert len(list(src.iterdir())) == 3 * len(ids) and len(panel) == len(ids)
    assert (panel["n_files"] == 3).all()
    _assert_received_as_truth(panel, ids)
    report = validate(out / "datapackage.json")
    assert report.valid, report.flatten(["taskName", "rowNumber", "fieldName", "type", "note"])


def _assert_received_as_truth(panel: pd.DataFrame, ids: list[str]) -> None:
    """Each report's row (found by any of its files) holds the truth's received requests (new, total)."""
    for i in ids:
        row = panel[
            panel["source_path"].str.contains(i, regex=False)
            | panel["other_files"].fillna("").str.contains(i, regex=False)
        ]
        assert len(row) == 1, (i, row[["agency", "source_path"]])
        expected = truth(i)["values"].get("requests", {}).get("new", {}).get("total")
        got = row["requests:new:total"].item()
        assert (pd.isna(got) and expected is None) or got == expected, (i, got, expected)


@pytest.mark.corpus
def test_the_corpus_with_its_duplicates_gives_one_row_per_report(tmp_path):
    """Every text-layer file of the corpus (docx, doc, web pages, PDF, text dumps), its two real files with a
    metadata side file, and byte copies: one row per report."""
    folders = [CORPUS / f for f in ("docx", "doc", "html", "pdf", "txt")]
    copies = tmp_path / "copies"
    copies.mkdir()
    for f in ("docx/syn2019a__docx_plain.docx", "html/2019-shanghai-city-govoffice.html"):
        shutil.copy(CORPUS / f, copies / ("copy-of-" + f.split("/")[1]))
    meta = tmp_path / "meta.csv"
    meta.write_text(
        "file,agency,region_code,published,url\n"
        "2019-shanghai-city-govoffice.html,上海市人民政府办公厅,310000,2020-01-20,\n"
        "seed-2019-xiuzhou.txt,嘉兴市秀洲区应急管理局,330411,,\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    paths = [str(p) for p in (*folders, copies, CORPUS / "seed-2019-xiuzhou.txt")]
    res = CliRunner().invoke(main, ["ingest", *paths, "--out", str(out), "--workers", "2", "--meta", str(meta)])
    assert res.exit_code == 0, res.output
    batch = read_dataset(out)
    assert (batch.reports["status"] == "skipped").sum() == 2
    panel = panel_frame(batch)
    ids = sorted(p.stem for p in (CORPUS / "truth").glob("*.json"))
    assert len(panel) == len(ids), panel[["agency", "year", "source_path"]]
    assert panel["n_files"].sum() == len(batch.reports)
    _assert_received_as_truth(panel, ids)
    manifest = json.loads((CORPUS / "manifest.json").read_text())
    assert len(batch.reports) == sum(1 for m in manifest.values() if m["variant"] != "pdf_scanned") + 2


def test_the_side_file_names_the_report_whichever_file_is_chosen(two):
    src = str(PLAIN_2019)
    scraped = _as_file(two, src, "8" * 16, "/x/page.html", format="html", agency="青山区人社局")
    scraped.reports = scraped.reports.assign(meta="agency region_code", province="内蒙古自治区", county="青山区")
    p = panel_frame(_concat(two, scraped))
    row = p[p["year"] == 2019].iloc[0]
    assert row["source_path"] == src and row["n_files"] == 2  # the docx is chosen for its figures
    assert (row["agency"], row["province"], row["county"]) == ("青山区人社局", "内蒙古自治区", "青山区")
