"""Batches at scale on real corpus files: parallel = serial, resume after kill -9, duplicates, time limits, Dask."""

import faulthandler
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pyarrow.dataset as ds
import pytest
from click.testing import CliRunner
from conftest import CORPUS, ROOT

import pipeline
from pipeline import engines, parts
from pipeline.batch import Progress, run_batch
from pipeline.cli import main
from pipeline.parts import read_parts

DOCX = sorted((CORPUS / "docx").glob("*.docx"))
KEYS = {"cells": ["source_path", "table", "row", "col"], "reports": ["source_path"], "issues": None, "narrative": None}


def _sorted(df: pd.DataFrame, name: str) -> pd.DataFrame:
    key = KEYS[name] or list(df.columns)
    return df.sort_values(key, kind="stable").reset_index(drop=True)


def _assert_same_output(a: Path, b: Path):
    for name in KEYS:
        x, y = _sorted(read_parts(a, name), name), _sorted(read_parts(b, name), name)
        assert len(x) > 0 or name in ("issues", "narrative")
        pd.testing.assert_frame_equal(x, y)
        # the single files written at the end hold the same rows
        fx = _sorted(pd.read_parquet(a / f"{name}.parquet"), name)
        pd.testing.assert_frame_equal(fx, x, check_dtype=False)


def _inputs(tmp_path, n=6, name="in"):
    src = tmp_path / name
    src.mkdir()
    for f in DOCX[:n]:
        shutil.copy(f, src / f.name)
    return src


def test_parallel_run_equals_serial_ingest(tmp_path):
    src = _inputs(tmp_path, 5)
    shutil.copy(DOCX[0], src / "zz-copy-of-first.docx")  # same bytes: read once, the path recorded
    (src / "empty.docx").write_bytes(b"")
    out = tmp_path / "out"
    stats = run_batch([src], out, workers=2)
    assert stats.processed == 6 and stats.duplicates == 1 and stats.status["failed"] == 1
    serial = pipeline.ingest([src])
    cells = read_parts(out, "cells")
    want = serial.cells[~serial.cells.source_path.str.endswith("zz-copy-of-first.docx")]
    pd.testing.assert_frame_equal(_sorted(cells, "cells"), _sorted(want.reset_index(drop=True), "cells"))
    reports = read_parts(out, "reports").set_index("source_path")
    dup = reports.loc[str(src / "zz-copy-of-first.docx")]
    assert dup.status == "skipped" and dup.duplicate_of == str(src / DOCX[0].name) and dup.n_cells == 0
    assert dup.report_id == reports.loc[str(src / DOCX[0].name)].report_id
    empty = reports.loc[str(src / "empty.docx")]
    assert empty.status == "failed" and empty.error == "empty file (0 bytes)" and len(empty.report_id) == 16
    # the parts (kept for resuming) and the single file written at the end agree
    assert ds.dataset(out / ".parts" / "cells").to_table().num_rows == len(pd.read_parquet(out / "cells.parquet"))


def test_rerun_skips_done_files_and_adds_new_ones(tmp_path):
    src = _inputs(tmp_path, 3)
    out = tmp_path / "out"
    run_batch([src], out, workers=2)
    first = read_parts(out, "reports")
    for f in DOCX[3:5]:
        shutil.copy(f, src / f.name)
    shutil.copy(DOCX[0], src / "again.docx")
    stats = run_batch([src], out, workers=2)
    assert (stats.skipped_done, stats.processed, stats.duplicates) == (3, 2, 1)
    reports = read_parts(out, "reports")
    assert len(reports) == 6 and not reports.duplicated(["report_id", "source_path"]).any()
    assert set(first.source_path) <= set(reports.source_path)
    again = run_batch([src], out, workers=2)  # nothing left to do
    assert (again.processed, again.duplicates, again.skipped_done) == (0, 0, 6)
    assert len(read_parts(out, "reports")) == 6


def _hang_or_crash(path, schema=None, settings=None, place=True):
    name = Path(path).name
    if name.startswith("hang"):
        time.sleep(600)
    if name.startswith("crash"):
        faulthandler.disable()  # pytest's traceback dump would only clutter the log
        os.kill(os.getpid(), signal.SIGSEGV)
    return _real_process_file(path, schema, settings, place)


_real_process_file = engines.process_file


@pytest.mark.skipif("fork" not in __import__("multiprocessing").get_all_start_methods(), reason="needs fork")
def test_hanging_and_crashing_files_fail_alone(tmp_path, monkeypatch):
    # stands in for an extractor that loops forever or segfaults; forked workers inherit the patched function
    monkeypatch.setattr(engines, "process_file", _hang_or_crash)
    src = _inputs(tmp_path, 3)
    shutil.copy(DOCX[5], src / "hang.docx")
    shutil.copy(DOCX[6], src / "crash.docx")
    out = tmp_path / "out"
    t0 = time.monotonic()
    stats = run_batch([src], out, workers=2, timeout=3)
    assert time.monotonic() - t0 < 60
    reports = read_parts(out, "reports").set_index("source_path")
    assert reports.loc[str(src / "hang.docx")].error == "timed out after 3 s (worker killed)"
    assert "crashed (SIGSEGV)" in reports.loc[str(src / "crash.docx")].error
    assert (reports.loc[[str(src / f.name) for f in DOCX[:3]], "status"] != "failed").all()
    assert stats.status["failed"] == 2 and len(reports) == 5


def _ingest_cmd(src, out, *extra):
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return [sys.executable, "-m", "pipeline", "ingest", str(src), "--out", str(out), *extra], env


def test_killed_run_resumes_to_the_same_output(tmp_path):
    n = 20
    src = _inputs(tmp_path, n)
    killed, whole = tmp_path / "killed", tmp_path / "whole"
    cmd, env = _ingest_cmd(src, killed, "--workers", "2", "--part-files", "2")
    proc = subprocess.Popen(cmd, env=env, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    parts = killed / ".parts" / "reports"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(list(parts.glob("part-*.parquet"))) < 3 and proc.poll() is None:
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)  # the run and its workers, like kill -9 of the job
    proc.wait()
    assert proc.returncode == -signal.SIGKILL, proc.stderr.read().decode()
    done_before = len(read_parts(killed, "reports"))
    assert 0 < done_before < n  # killed half-way
    # what a kill leaves is only whole parts: every committed part reads, no temporary file is visible
    assert not [
        p for p in killed.rglob("*") if p.is_file() and not p.name.startswith(".") and not p.name.startswith("part-")
    ]
    # a torn part (cells written, reports not) is dropped on the re-run
    torn = killed / ".parts" / "cells" / "part-torn.parquet"
    shutil.copy(next((killed / ".parts" / "cells").glob("part-*.parquet")), torn)
    cmd, env = _ingest_cmd(src, killed, "--workers", "2")
    res = subprocess.run(cmd, env=env, capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    assert f"{done_before} done earlier" in res.stdout
    run_batch([src], whole, workers=2)
    assert not torn.exists()
    assert len(read_parts(killed, "reports")) == n
    assert not list(killed.rglob(".*.tmp"))
    _assert_same_output(killed, whole)


def test_dask_engine_gives_the_local_output(tmp_path):
    pytest.importorskip("distributed")
    src = _inputs(tmp_path, 4)
    shutil.copy(DOCX[0], src / "dup.docx")
    (src / "empty.docx").write_bytes(b"")
    local, dask_out = tmp_path / "local", tmp_path / "dask"
    r1 = CliRunner().invoke(main, ["ingest", str(src), "--out", str(local), "--workers", "2"])
    r2 = CliRunner().invoke(main, ["ingest", str(src), "--out", str(dask_out), "--engine", "dask", "--workers", "1"])
    assert r1.exit_code == r2.exit_code == 1, (r1.output, r2.output)  # the empty file failed in both
    _assert_same_output(local, dask_out)


def test_csv_output_is_single_files(tmp_path):
    src = _inputs(tmp_path, 3)
    out = tmp_path / "out"
    res = CliRunner().invoke(main, ["ingest", str(src), "--out", str(out), "--format", "csv", "--workers", "2"])
    assert res.exit_code == 0, res.output
    assert not (out / "cells.parquet").exists() and (out / "cells.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    cells = pd.read_csv(out / "cells.csv", encoding="utf-8-sig")
    assert len(cells) == len(read_parts(out, "cells")) and cells.source_path.nunique() == 3
    assert "ETA" not in res.output  # no progress bar when stderr is not a terminal


def test_progress_line_shows_rate_time_left_failures_and_the_file_read():
    p = Progress(10, files=[f"f{i}.docx" for i in range(10)])
    p.reading("f0.docx")
    p.advance(status="ok", path="f0.docx", seconds=2.0)
    p.reading("f1.docx")
    p.advance(status="failed", path="f1.docx", seconds=2.0)
    line = p.line()
    assert line.startswith("2/10 files") and "files/s" in line and "0:16 left" in line
    assert "failed 1" in line and "reading f1.docx" in line


def test_dask_engine_on_a_running_scheduler(tmp_path):
    distributed = pytest.importorskip("distributed")
    src = _inputs(tmp_path, 2)
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None) as cl:
        stats = run_batch([src], tmp_path / "dask", engine="dask", scheduler=cl.scheduler_address)
    assert stats.processed == 2 and not stats.failed
    assert any(k.startswith("dask") for k in stats.worker_peak_rss_mb)
    run_batch([src], tmp_path / "local", workers=1)
    _assert_same_output(tmp_path / "local", tmp_path / "dask")


@pytest.mark.corpus
def test_dask_and_local_engines_agree_across_the_corpus_formats(tmp_path):
    pytest.importorskip("distributed")
    # every fourth file of each corpus folder (all formats, scanned PDFs included); the whole corpus was compared
    # by hand (see the batch notes in the report) and takes minutes
    files = [
        f
        for d in sorted(p for p in CORPUS.iterdir() if p.is_dir() and p.name != "truth")
        for f in sorted(d.iterdir())[::4]
    ]
    local, dask_out = tmp_path / "local", tmp_path / "dask"
    a = run_batch([], local, workers=2, files=files)
    b = run_batch([], dask_out, workers=2, engine="dask", files=files)
    assert a.processed == b.processed == len(files) > 40
    assert a.status == b.status and a.status.get("ok", 0) > 20
    _assert_same_output(local, dask_out)


def test_a_second_run_into_the_same_folder_is_refused(tmp_path):
    src = _inputs(tmp_path, 1)
    out = tmp_path / "out"
    held = parts.lock_output(out)  # as a run in progress holds it
    try:
        res = CliRunner().invoke(main, ["ingest", str(src), "--out", str(out), "--workers", "1"])
        assert res.exit_code == 2 and "another xxgk run is writing to" in res.output
    finally:
        held.close()
    assert CliRunner().invoke(main, ["ingest", str(src), "--out", str(out), "--workers", "1"]).exit_code == 0


def test_a_part_written_from_records_reads_as_the_table_frame_makes_them(tmp_path):
    """Parts are written from the records through Arrow; they read back as ``Table.frame`` makes the same records
    (a NaN is null, a missing key is null, a value of the wrong type is cast as pandas casts it)."""
    import pyarrow.parquet as pq

    from pipeline.tables import OUTPUT_TABLES

    cells = OUTPUT_TABLES["cells"]
    records = [
        {"report_id": "a", "source_path": "x.pdf", "value": 1.5, "page": 2, "raw": "1.5", "extra": "not a column"},
        {"report_id": "a", "source_path": "x.pdf", "value": float("nan"), "page": None},
        {"report_id": "b", "source_path": "y.pdf"},
    ]
    as_text = [{**r, "page": 3, "raw": 7} for r in records]  # raw is text: Arrow refuses 7, pandas casts it
    for recs in (records, as_text):
        rows = parts._arrow_rows(cells, recs)
        parts.write_frames([rows], tmp_path / "p.parquet", "parquet")
        got = pd.read_parquet(tmp_path / "p.parquet")
        pd.testing.assert_frame_equal(cells.frame(got), cells.frame(recs))
        assert pq.read_table(tmp_path / "p.parquet").column("value").null_count == 2  # null, not NaN, for DuckDB
