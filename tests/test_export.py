"""The wide export: one row per report, one column per key; it reads back to the same cells as the tidy output."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest
from click.testing import CliRunner
from conftest import CORPUS

from pipeline.cli import main
from pipeline.dataset import read_dataset
from pipeline.export import cells_to_wide, headers, read_wide, wide_keys, wide_to_cells

# both templates, blanks left in the applicant columns, a proactive table in pieces, a 万元 amount
FILES = (
    "2019-shanghai-city-govoffice__docx_plain.docx",
    "2021-fujian-pingtan-zone__docx_official.docx",
    "2020-fujian-pingtan-zone__docx_messy.docx",
    "syn2019c__docx_plain.docx",
)


@pytest.fixture(scope="module", params=["parquet", "csv"])
def out(request, tmp_path_factory):
    tmp = tmp_path_factory.mktemp(f"export-{request.param}")
    src = tmp / "in"
    src.mkdir()
    for name in FILES:
        shutil.copy(CORPUS / "docx" / name, src / name)
    (src / "empty.docx").write_bytes(b"")  # a failed report still gets its row
    res = CliRunner().invoke(main, ["ingest", str(src), "--out", str(tmp / "out"), "--format", request.param])
    assert res.exit_code == 1, res.output
    return tmp / "out"


def _tidy(cells: pd.DataFrame) -> set:
    c = cells[cells["value"].notna()]
    return {
        (str(r), t, ro, co, float(v))
        for r, t, ro, co, v in c[["report_id", "table", "row", "col", "value"]].itertuples(index=False)
    }


@pytest.mark.parametrize("labels", ["en", "zh"])
@pytest.mark.parametrize("suffix", ["csv", "parquet"])
def test_wide_export_round_trips_to_the_tidy_cells(out, tmp_path, labels, suffix):
    dest = tmp_path / f"wide.{suffix}"
    res = CliRunner().invoke(main, ["export", str(out), "--wide", "--labels", labels, "--out", str(dest)])
    assert res.exit_code == 0, res.output
    batch = read_dataset(out)
    wide = read_wide(dest)
    assert len(wide) == len(batch.reports) == len(FILES) + 1
    back = wide_to_cells(wide)
    assert _tidy(back) == _tidy(batch.cells) and len(back) == len(_tidy(batch.cells))
    # an empty wide cell is a cell printed blank (null in the tidy output) or one the report does not have
    printed = {
        (str(r), t, ro, co)
        for r, t, ro, co in batch.cells[["report_id", "table", "row", "col"]].itertuples(index=False)
    }
    nulls = {k[:4] for k in printed} - {k[:4] for k in _tidy(batch.cells)}
    assert nulls, "the fixture should hold blank cells"
    heads = headers(labels)
    rid = "report_id" if labels == "en" else "报告编号"
    for key, h in heads.items():
        for r, v in zip(wide[rid], wide[h], strict=False):
            if pd.isna(v) and isinstance(r, str):
                assert (r, *key) in nulls or (r, *key) not in printed


def test_wide_has_one_column_per_key_and_whole_counts_as_integers(out):
    batch = read_dataset(out)
    wide = cells_to_wide(batch.cells, batch.reports, "en")
    keys = wide_keys()
    assert len(set(keys)) == len(keys)
    assert list(wide.columns[-len(keys) :]) == [":".join(k) for k in keys]
    assert str(wide["requests:granted:total"].dtype) == "Int64"
    assert str(wide["proactive:fees:amount"].dtype) == "float64"  # money in yuan, with cents
    row = wide.set_index("source_path").loc[str(out.parent / "in" / FILES[1])]
    assert row["proactive:fees:amount"] == pytest.approx(242523110.82)
    assert row["template"] == "2021" and row["province"] == "福建省"


def test_zh_headers_are_the_printed_labels_and_unique():
    heads = headers("zh")
    assert len(set(heads.values())) == len(heads)
    assert (
        heads[("requests", "denied.state_secret", "natural_person")]
        == "收到和处理政府信息公开申请情况｜（三）不予公开 1.属于国家秘密｜申请人情况 自然人"
    )


def test_csv_is_excel_ready(out, tmp_path):
    dest = tmp_path / "wide.csv"
    CliRunner().invoke(main, ["export", str(out), "--wide", "--labels", "zh", "--out", str(dest)])
    data = dest.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf") and "报告编号".encode() in data[:40]


def test_export_usage_errors(out, tmp_path):
    r = CliRunner().invoke(main, ["export", str(out), "--out", str(tmp_path / "w.csv")])
    assert r.exit_code == 2 and "--wide" in r.output
    r = CliRunner().invoke(main, ["export", str(out), "--wide", "--out", str(tmp_path / "w.xlsx")])
    assert r.exit_code == 2 and ".csv or .parquet" in r.output
    r = CliRunner().invoke(main, ["export", str(tmp_path), "--wide", "--out", str(tmp_path / "w.csv")])
    assert r.exit_code == 2 and "no cells" in r.output


def test_an_unknown_column_is_refused():
    wide = pd.DataFrame({"report_id": ["a"], "requests:granted:total": [1], "notes": ["x"]})
    with pytest.raises(ValueError, match="notes"):
        wide_to_cells(wide)
