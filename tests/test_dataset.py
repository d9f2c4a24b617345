"""The one reader and the one writer of an output folder: round trips with the declared dtypes, usual-mode files."""

from __future__ import annotations

import os
import stat

import pandas as pd
import pytest

from pipeline.dataset import atomic_write, dataset_format, read_dataset, read_frame, write_batch, write_frame
from pipeline.tables import CELLS, ISSUES, NARRATIVE, OUTPUT_TABLES, REPORTS, Batch


def _batch() -> Batch:
    """A small batch with the values a careless reader breaks: a template that looks like a number, an all-digit
    report_id, blanks in integer columns, a negative figure, text Excel would take for a formula."""
    common = dict(report_id="1234567890123456", source_path="in/报告 2021.docx", agency="示例区人民政府", year=2021)
    cells = CELLS.frame(
        [
            dict(common, template="2021", table="requests", row="new", col="total", value=7.0, raw="7", row_index=3),
            dict(common, template="2021", table="proactive", row="rules", col="change", value=-18.0, raw="-18"),
            dict(common, template="2021", table="requests", row="granted", col="total", value=None, raw="/"),
        ]
    )
    reports = REPORTS.frame([dict(common, format="docx", template="2021", status="partial", n_cells=3, n_issues=1)])
    issues = ISSUES.frame(
        [
            dict(
                common,
                code="sum-mismatch",
                severity="error",
                rule="requests-outcome-sum",
                table="requests",
                row="handled_total",
                col="total",
                expected=6.0,
                actual=7.0,
                difference=1.0,
                message="=SUM(A1) is not a formula here",
                cells="total=requests/handled_total/total; parts=requests/granted/total",
            )
        ]
    )
    narrative = NARRATIVE.frame(
        [dict(common, rule="narrative-requests", table="requests", figure="received", value=7.0, raw="收到7件")]
    )
    return Batch(cells, reports, issues, narrative)


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_a_batch_reads_back_with_the_declared_dtypes(tmp_path, fmt):
    batch = _batch()
    written = write_batch(batch, tmp_path, fmt)
    assert set(written) == set(OUTPUT_TABLES) and dataset_format(tmp_path) == fmt
    back = read_dataset(tmp_path)
    for name, table in OUTPUT_TABLES.items():
        got = getattr(back, name)
        assert list(got.columns) == table.names and got.dtypes.astype(str).to_dict() == table.types, name
    assert back.cells["template"].tolist() == ["2021"] * 3  # a string, not the number 2021
    assert back.reports["report_id"].iloc[0] == "1234567890123456"
    assert back.cells["value"].isna().tolist() == [False, False, True] and back.cells["page"].isna().all()
    pd.testing.assert_frame_equal(back.cells.drop(columns="raw"), batch.cells.drop(columns="raw"))
    pd.testing.assert_frame_equal(back.reports, batch.reports)
    if fmt == "parquet":
        for name in OUTPUT_TABLES:
            pd.testing.assert_frame_equal(getattr(back, name), getattr(batch, name))
    else:  # what Excel would run as a formula is written with a leading apostrophe; a plain negative number is not
        assert back.issues["message"].iloc[0] == "'=SUM(A1) is not a formula here"
        assert back.cells["raw"].tolist() == ["7", "-18", "/"]
        assert (tmp_path / "cells.csv").read_bytes().startswith(b"\xef\xbb\xbf")


def test_a_folder_without_narrative_reads_with_an_empty_one(tmp_path):
    write_batch(Batch(*[getattr(_batch(), n) for n in ("cells", "reports", "issues")]), tmp_path, "csv")
    assert not (tmp_path / "narrative.csv").exists()
    back = read_dataset(tmp_path)
    assert back.narrative is not None and back.narrative.empty and list(back.narrative.columns) == NARRATIVE.names


def test_a_folder_that_is_no_output_is_refused(tmp_path):
    (tmp_path / "cells.parquet").write_bytes(b"")
    with pytest.raises(FileNotFoundError, match="xxgk ingest"):
        read_dataset(tmp_path)


def test_an_older_file_without_a_declared_column_reads_with_it_null(tmp_path):
    old = _batch().issues.drop(columns=["cells", "figure"])
    old.to_parquet(tmp_path / "issues.parquet", index=False)
    back = read_frame(tmp_path / "issues.parquet", ISSUES)
    assert list(back.columns) == ISSUES.names and back["cells"].isna().all()


@pytest.mark.parametrize("umask", [0o022, 0o002])
def test_written_files_get_the_usual_mode(tmp_path, umask):
    old = os.umask(umask)
    try:
        paths = [
            write_frame(_batch().cells, tmp_path / "cells", "parquet"),
            write_frame(_batch().cells, tmp_path / "cells", "csv"),
            atomic_write(tmp_path / "datapackage.json", lambda tmp: tmp.write_text("{}", encoding="utf-8")),
        ]
    finally:
        os.umask(old)
    for p in paths:
        assert stat.S_IMODE(p.stat().st_mode) == 0o666 & ~umask, p


def test_a_failed_write_leaves_the_old_file_and_no_temporary_one(tmp_path):
    target = tmp_path / "reports.csv"
    target.write_text("old\n", encoding="utf-8")

    def broken(tmp):
        tmp.write_text("half", encoding="utf-8")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        atomic_write(target, broken)
    assert target.read_text(encoding="utf-8") == "old\n" and [p.name for p in tmp_path.iterdir()] == ["reports.csv"]


def test_an_unknown_format_is_refused(tmp_path):
    with pytest.raises(ValueError, match="xlsx"):
        write_frame(_batch().cells, tmp_path / "cells", "xlsx")
