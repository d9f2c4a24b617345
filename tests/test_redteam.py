"""The red-team review's findings (``../shared/reviews/redteam.md``), each built by its recipe and checked fixed; and
what the review found held, kept held. Test names carry the finding's number."""

from __future__ import annotations

import errno
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import hostile_files as h
import pandas as pd
import pytest
from click.testing import CliRunner
from conftest import CORPUS, ROOT

from pipeline import dataset, engines, parts
from pipeline.batch import run_batch
from pipeline.cli import main
from pipeline.dataset import DatasetError, excel_safe, read_dataset
from pipeline.files import find_inputs
from pipeline.normalise import parse_value
from pipeline.parts import read_parts
from pipeline.run import process_file

DOCS = sorted((CORPUS / "doc").glob("*.doc"))


def _ingest(*args: str | Path) -> tuple[int, str]:
    res = CliRunner().invoke(main, ["ingest", *map(str, args)])
    return res.exit_code, res.output


def _folder(tmp_path: Path, name: str, *files: Path) -> Path:
    d = tmp_path / name
    d.mkdir()
    for f in files:
        shutil.copy(f, d / f.name)
    return d


# ---------------------------------------------------------------------------------------------------- 1 names


def test_01_a_gbk_file_name_does_not_stop_the_batch(tmp_path):
    src = _folder(tmp_path, "gbk", h.HUAIAN_2022)
    gbk = h.gbk_named(src)
    for fmt in ("parquet", "csv"):
        out = tmp_path / f"o_{fmt}"
        code, said = _ingest(src, "--out", out, "--workers", "1", "--format", fmt)
        assert code == 0, said
        got = read_dataset(out)
        assert len(got.reports) == 2 and set(got.reports.status) == {"ok", "partial"}
        escaped = os.fsencode(gbk).decode("utf-8", "backslashreplace")
        assert escaped in set(got.reports.source_path) and "\\xbb\\xb4" in escaped  # 淮 in GBK is BB B4
        mine = got.issues[got.issues.source_path == escaped]
        assert "path-undecodable" in set(mine.code)
        assert len(got.cells[got.cells.source_path == escaped]) == 200  # read like any other file
        code, said = _ingest(src, "--out", out, "--workers", "1", "--format", fmt)  # resumes: both done earlier
        assert code == 0 and "2 done earlier" in said, said


# ---------------------------------------------------------------------------------------------------- 2 audit of CSV


def test_02_audit_finds_the_same_failures_on_csv_and_parquet(tmp_path):
    from pipeline.audit import run_audit

    (tmp_path / "cy").mkdir()
    src = h.cross_year_pair(tmp_path / "cy")
    found = {}
    for fmt in ("parquet", "csv"):
        out = tmp_path / f"o_{fmt}"
        run_batch([src], out, workers=1, format=fmt)
        a = run_audit(out)
        found[fmt] = a.failures.assign(cells=a.failures.cells.map(str)).sort_values(["rule", "report_id"])
        assert (a.checks.status == "failed").any()
    assert len(found["csv"]) > 0 and "requests-carry-over-link" in set(found["csv"].rule)
    cols = ["rule", "report_id", "expected", "actual", "severity"]
    pd.testing.assert_frame_equal(
        found["csv"][cols].reset_index(drop=True), found["parquet"][cols].reset_index(drop=True)
    )


# ---------------------------------------------------------------------------------------------------- 3-4 memory


def test_03_04_small_files_that_take_gigabytes_fail_or_read_within_bounds(tmp_path):
    src = tmp_path / "bomb"
    src.mkdir()
    h.xml_bomb_docx(src / "under-limit-190mb.docx")
    h.occupy_bomb_html(src / "occupy-bomb.html")
    h.giant_page_pdf(src / "giant-page.pdf")
    t0 = time.monotonic()
    stats = run_batch([src], tmp_path / "out", workers=2, timeout=120)
    reports = read_parts(tmp_path / "out", "reports").set_index("source_path")
    assert time.monotonic() - t0 < 110
    assert max(stats.worker_peak_rss_mb.values()) < 1500, stats.worker_peak_rss_mb
    xml = reports.loc[str(src / "under-limit-190mb.docx")]
    assert xml.status == "failed" and "max_memory_mb" in xml.error and "190 MB" in xml.error
    occupy = reports.loc[str(src / "occupy-bomb.html")]
    assert occupy.status == "failed" and "max_table_cells" in occupy.error
    giant = reports.loc[str(src / "giant-page.pdf")]
    assert "timed out" not in (giant.error or "")


def test_03_a_huge_page_is_rendered_within_the_pixel_limit():
    from pipeline.extract.ocr import render_scale

    warnings: list[str] = []
    scale = render_scale((14400, 14400), 150 / 72, 16.0, 1, warnings)
    assert (14400 * scale) ** 2 <= 16.0e6 * 1.001 and "ocr_max_megapixels" in warnings[0]
    assert render_scale((595, 842), 150 / 72, 16.0, 1, warnings) == 150 / 72 and len(warnings) == 1


def test_03_a_worker_over_its_memory_limit_fails_alone_with_the_reason(tmp_path, monkeypatch):
    import pipeline.engines

    def hungry(path, *a, **k):
        if path.endswith("eat.docx"):
            b = bytearray(3 << 30)  # more than the limit: the OS refuses
            return b
        return real(path, *a, **k)

    real = pipeline.engines.process_file
    monkeypatch.setattr(pipeline.engines, "process_file", hungry)
    src = _folder(tmp_path, "in", h.HUAIAN_2022)
    shutil.copy(h.HUAIAN_2021, src / "eat.docx")
    limit = 1024  # on top of what the worker starts with (a copy of this process)
    run_batch([src], tmp_path / "out", workers=1, max_memory_mb=limit)
    reports = read_parts(tmp_path / "out", "reports").set_index("source_path")
    eat = reports.loc[str(src / "eat.docx")]
    assert eat.status == "failed" and "out of memory" in eat.error and f"{limit:g} MB" in eat.error
    assert reports.loc[str(src / "huaian-2022.docx")].status == "ok"


@pytest.mark.parametrize("build", ["docx", "html", "txt"])
def test_04_grid_caps_in_every_extractor(tmp_path, build):
    if build == "docx":
        import docx

        d = docx.Document()
        t = d.add_table(rows=1, cols=1)
        tc_pr = t.cell(0, 0)._tc.get_or_add_tcPr()
        span = tc_pr.makeelement("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}gridSpan")
        span.set("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}val", str(10**9))
        tc_pr.append(span)
        f = tmp_path / "span.docx"
        d.save(f)
    elif build == "html":
        f = h.occupy_bomb_html(tmp_path / "o.html")
    else:
        f = tmp_path / "wide.txt"
        f.write_text("标题\n" + "\t1\n" * 2000 + "\n" + "".join("\t1\n\n" for _ in range(300)), encoding="utf-8")
    t0 = time.monotonic()
    r = process_file(f, settings={"max_table_cells": 10_000})
    assert time.monotonic() - t0 < 20
    assert any("max_table_cells" in i["message"] for i in r.issues) or "max_table_cells" in (r.report.error or "")


def test_04_a_pdf_ruled_network_over_the_cap_is_left_out():
    from pipeline.extract.pdf_layout import HSeg, VSeg
    from pipeline.extract.pdf_ruled import ruled_tables

    hs = [HSeg(float(y), 0.0, 400.0) for y in range(0, 401, 4)]
    vs = [VSeg(float(x), 0.0, 400.0) for x in range(0, 401, 4)]
    too_large: list[tuple[int, int]] = []
    assert ruled_tables([], hs, vs, max_cells=1000, too_large=too_large) == []
    assert too_large == [(100, 100)]


# ---------------------------------------------------------------------------------------------------- 5-6 limits


def test_05_fifos_devices_and_big_files_are_never_read(tmp_path):
    os.mkfifo(tmp_path / "pipe.docx")
    big = h.sparse_file(tmp_path / "huge.pdf", 5.0)
    t0 = time.monotonic()
    code, said = _ingest(tmp_path / "pipe.docx", "/dev/zero", big, "--out", tmp_path / "o", "--timeout", "5")
    assert time.monotonic() - t0 < 30, said
    assert code == 1
    reports = read_dataset(tmp_path / "o").reports.set_index("source_path")
    assert "FIFO" in reports.loc[str(tmp_path / "pipe.docx")].error
    assert "character device" in reports.loc["/dev/zero"].error
    assert "over the limit of 200 MB" in reports.loc[str(big)].error
    r = process_file("/dev/zero")
    assert r.status == "failed" and "not a regular file" in r.report.error


def test_06_a_six_million_character_title_holds_nothing_up(tmp_path):
    src = tmp_path / "slow"
    src.mkdir()
    h.long_title_docx(src / "longtitle6m.docx")
    t0 = time.monotonic()
    run_batch([src], tmp_path / "out", workers=1)
    assert time.monotonic() - t0 < 60
    rep = read_parts(tmp_path / "out", "reports").iloc[0]
    assert rep.status in ("ok", "partial") and rep.n_cells == 200
    assert not str(rep.agency).startswith("的")


# ---------------------------------------------------------------------------------------------------- 7-9, 12 folders


def test_07_switching_format_converts_the_folder(tmp_path):
    src = _folder(tmp_path, "sw", h.HUAIAN_2021, h.SAMPLES / "example-district-2020.docx")
    out = tmp_path / "o_sw"
    assert _ingest(src, "--out", out, "--workers", "1")[0] == 0
    shutil.copy(h.HUAIAN_2022, src)
    code, said = _ingest(src, "--out", out, "--workers", "1", "--format", "csv")
    assert code == 0 and "Output: 3 reports" in said, said
    assert not list(out.glob("*.parquet")) and len(read_dataset(out).reports) == 3
    assert CliRunner().invoke(main, ["export", str(out), "--wide", "--out", str(tmp_path / "w.csv")]).exit_code == 0
    assert len(pd.read_csv(tmp_path / "w.csv", encoding="utf-8-sig")) == 3
    described = json.loads((out / "datapackage.json").read_text())
    assert {r["format"] for r in described["resources"]} == {"csv"}


def test_07_a_folder_of_both_formats_with_nothing_to_say_which_is_refused(tmp_path):
    from pipeline.run import ingest

    batch = ingest([h.HUAIAN_2021])
    dataset.write_batch(batch, tmp_path, "parquet")
    assert len(read_dataset(tmp_path).reports) == 1
    for name in ("cells", "reports", "issues"):  # stale copies of another format, as an older xxgk left them
        getattr(batch, name).to_csv(tmp_path / f"{name}.csv", index=False)
    with pytest.raises(DatasetError, match="both"):
        read_dataset(tmp_path)
    dataset.write_batch(batch, tmp_path, "csv")  # one format per folder: the other one goes
    assert not list(tmp_path.glob("*.parquet")) and len(read_dataset(tmp_path).reports) == 1


def test_08_a_changed_file_replaces_its_rows(tmp_path):
    src = tmp_path / "mod"
    src.mkdir()
    shutil.copy(h.HUAIAN_2021, src / "r.docx")
    out = tmp_path / "o_mod"
    run_batch([src], out, workers=1)
    h.edited_docx(src / "r.docx", {(1, 3, 3): "250", (1, 3, 9): "295"})
    run_batch([src], out, workers=1)
    got = read_dataset(out)
    assert len(got.reports) == 1 and got.reports.source_path.is_unique
    v = got.cells[(got.cells.row == "new") & (got.cells.col == "natural_person")].value.tolist()
    assert v == [250.0]
    assert read_parts(out, "reports").source_path.is_unique
    # and back to the first version: read again, not taken as done
    shutil.copy(h.HUAIAN_2021, src / "r.docx")
    stats = run_batch([src], out, workers=1)
    assert stats.processed == 1
    got = read_dataset(out)
    assert got.cells[(got.cells.row == "new") & (got.cells.col == "natural_person")].value.tolist() == [244.0]


def test_09_an_output_folder_inside_the_inputs_is_never_read(tmp_path):
    inr = _folder(tmp_path, "inr", h.HUAIAN_2021, h.HUAIAN_2022)
    out = inr / "out"
    assert _ingest(inr, "--out", out, "--workers", "1")[0] == 0
    assert CliRunner().invoke(main, ["audit", str(out)]).exit_code == 0
    assert (out / "audit.html").exists()
    code, said = _ingest(inr, "--out", out, "--workers", "1")
    assert code == 0 and "2 files" in said, said
    assert len(read_dataset(out).reports) == 2
    # another xxgk output folder among the inputs is left alone as well
    assert [p.name for p in find_inputs([inr]).files] == ["huaian-2021.docx", "huaian-2022.docx"]


def test_12_a_kill_during_the_final_merge_never_leaves_mixed_files(tmp_path, monkeypatch):
    src = _folder(tmp_path, "in", h.HUAIAN_2021)
    out = tmp_path / "o"
    run_batch([src], out, workers=1)
    before = read_dataset(out)
    shutil.copy(h.HUAIAN_2022, src)

    class Killed(BaseException):
        pass

    def die(*a, **k):
        raise Killed  # as kill -9 at this moment: nothing after it runs

    # killed while the new files are written: the last complete run's files and manifest stay
    monkeypatch.setattr(parts, "stage_frames", die)
    with pytest.raises(Killed):
        run_batch([src], out, workers=1)
    pd.testing.assert_frame_equal(read_dataset(out).reports, before.reports)
    # killed between the renames: no manifest, and the folder is refused rather than read half new
    monkeypatch.undo()
    renamed = []

    def replace_one_then_die(a, b):
        if renamed:
            raise Killed
        renamed.append(b)
        os.rename(a, b)

    monkeypatch.setattr(parts.os, "replace", replace_one_then_die)
    with pytest.raises(Killed):
        run_batch([src], out, workers=1)
    monkeypatch.undo()
    with pytest.raises(DatasetError, match="run the same ingest again"):
        read_dataset(out)
    code, said = _ingest(src, "--out", out, "--workers", "1")
    assert code == 0 and "2 done earlier" in said
    got = read_dataset(out)
    assert len(got.reports) == 2 and set(got.cells.report_id) <= set(got.reports.report_id)


# ---------------------------------------------------------------------------------------------------- 10 figures


@pytest.mark.parametrize(
    "raw, value, marker",
    [
        ("18436①", 18436, "①"),
        ("1523.46²", 1523.46, "²"),
        ("2¹", 2, "¹"),
        ("18436*", 18436, "*"),
        ("18436※", 18436, "※"),
        ("18436注1", 18436, "注1"),
        ("18436 ①", 18436, "①"),
        ("12", 12, None),
        ("1,234", 1234, None),
    ],
)
def test_10_a_footnote_marker_is_split_off(raw, value, marker):
    p = parse_value(raw)
    assert p.value == value and p.marker == marker and p.raw == raw


@pytest.mark.parametrize("raw", ["2,3710", "5 7", "12\n3", "1 234", "12,34", "1①2", "⑤"])
def test_10_digits_that_are_not_one_figure_are_never_joined(raw):
    p = parse_value(raw)
    assert p.value is None and p.note in ("digit-grouping", "unparsed")


def test_10_glued_markers_in_word_and_html_become_issues(tmp_path):
    r = process_file(h.footnote_docx(tmp_path))
    cells = {c["raw"]: c["value"] for c in r.cells}
    codes = {i["raw"]: i["code"] for i in r.issues}
    assert cells["18436①"] == 18436 and cells["1523.46²"] == 15234600 and cells["2¹"] == 2
    assert cells["14¹"] == 14  # a superscript run in Word
    assert cells["2,3710"] is None and cells["5 7"] is None
    for raw in ("18436①", "1523.46²", "2¹", "14¹"):
        assert codes[raw] == "footnote-marker"
    assert codes["2,3710"] == codes["5 7"] == "digit-grouping"
    r = process_file(h.sup_html(tmp_path))
    glued = [c for c in r.cells if c["raw"] == "2293¹"]
    assert glued and glued[0]["value"] == 2293
    assert any(i["code"] == "footnote-marker" and i["raw"] == "2293¹" for i in r.issues)


# ---------------------------------------------------------------------------------------------------- 11 LibreOffice


def _ours(pid: int) -> list[int]:
    """LibreOffice processes whose profile lies in a scratch folder of run ``pid``."""
    mark = f"{engines.SCRATCH_PREFIX}{pid}-".encode()
    found = []
    for d in os.listdir("/proc"):
        try:
            with open(f"/proc/{d}/cmdline", "rb") as f:
                if mark in f.read():
                    found.append(int(d))
        except (OSError, ValueError):
            continue
    return found


def _scratch(pid: int) -> list[Path]:
    import tempfile

    return list(Path(tempfile.gettempdir()).glob(f"{engines.SCRATCH_PREFIX}{pid}-*"))


@pytest.mark.skipif(not shutil.which("soffice"), reason="LibreOffice not installed")
def test_11_libreoffice_dies_with_its_worker_and_leaves_no_profile(tmp_path):
    src = _folder(tmp_path, "docs", *DOCS[:2])
    before = set(_scratch(os.getpid()))
    stats = run_batch([src], tmp_path / "out", workers=1, timeout=1)  # killed mid-conversion
    assert stats.status.get("failed") == 2
    time.sleep(0.5)
    assert not _ours(os.getpid()) and set(_scratch(os.getpid())) <= before


@pytest.mark.skipif(not shutil.which("soffice"), reason="LibreOffice not installed")
def test_11_libreoffice_dies_with_a_run_killed_outright(tmp_path):
    src = _folder(tmp_path, "docs", *DOCS[:1])
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    cmd = [sys.executable, "-m", "pipeline", "ingest", str(src), "--out", str(tmp_path / "o"), "--workers", "1"]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while not _ours(proc.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _ours(proc.pid), "LibreOffice never started"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    deadline = time.monotonic() + 10
    while _ours(proc.pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _ours(proc.pid)
    assert _scratch(proc.pid)  # left by the kill, for the next run to remove
    engines.sweep_scratch()
    assert not _scratch(proc.pid)


def test_11_the_conversion_ends_within_the_files_time_limit():
    from pipeline.settings import Settings

    assert Settings().convert_seconds < Settings().timeout
    assert Settings(timeout=300).convert_seconds == 120
    assert Settings(timeout=None).convert_seconds == 120


# ---------------------------------------------------------------------------------------------------- 13-19 low


def test_13_a_path_over_path_max_does_not_stop_discovery(tmp_path):
    deep = tmp_path / "deep"
    deep.mkdir()
    shutil.copy(h.HUAIAN_2021, deep / "good.docx")
    h.deep_folder(deep)
    found = find_inputs([deep])
    assert [p.name for p in found.files] == ["good.docx"]
    assert len(found.problems) == 1 and "PATH_MAX" in found.problems[0][1]
    code, said = _ingest(deep, "--out", tmp_path / "o", "--workers", "1")
    assert code == 1 and "Output: 2 reports" in said, said


def test_14_output_folder_errors_are_one_line_with_exit_3(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    res = CliRunner().invoke(main, ["ingest", str(h.HUAIAN_2021), "--out", str(blocker / "out")])
    assert res.exit_code == 3 and "xxgk: cannot use the output folder" in res.output
    assert "Traceback" not in res.output and len(res.output.strip().splitlines()) == 1
    # a full disk while the final files are written
    out = tmp_path / "o"

    def full(*a, **k):
        raise OSError(errno.ENOSPC, "No space left on device", str(out / "cells.parquet"))

    monkeypatch.setattr(parts, "stage_frames", full)
    res = CliRunner().invoke(main, ["ingest", str(h.HUAIAN_2021), "--out", str(out), "--workers", "1"])
    assert res.exit_code == 3 and "No space left on device" in res.output
    monkeypatch.undo()
    res = CliRunner().invoke(main, ["ingest", str(h.HUAIAN_2021), "--out", str(out), "--workers", "1"])
    assert res.exit_code == 0 and "1 done earlier" in res.output  # freed, re-run: nothing lost


def test_14_a_damaged_part_is_set_aside_and_its_files_read_again(tmp_path):
    src = _folder(tmp_path, "in", h.HUAIAN_2021, h.HUAIAN_2022)
    out = tmp_path / "o"
    run_batch([src], out, workers=1, part_files=1)
    part = sorted((out / ".parts" / "cells").glob("part-*.parquet"))[0]
    part.write_bytes(part.read_bytes()[:100])  # truncated
    code, said = _ingest(src, "--out", out, "--workers", "1")
    assert code == 0 and "set aside" in said and "1 read" in said, said
    assert len(read_dataset(out).reports) == 2 and len(read_dataset(out).cells) == 400


def test_14_a_hand_edited_output_is_refused_in_one_line(tmp_path):
    out = tmp_path / "o"
    run_batch([h.HUAIAN_2021], out, workers=1, format="csv")
    reports = pd.read_csv(out / "reports.csv", encoding="utf-8-sig", dtype=str)
    reports.assign(year="2020年").to_csv(out / "reports.csv", index=False, encoding="utf-8-sig")
    for cmd in (["audit", str(out)], ["export", str(out), "--wide", "--out", str(tmp_path / "w.csv")]):
        res = CliRunner().invoke(main, cmd)
        assert res.exit_code == 3 and "'2020年'" in res.output and "Traceback" not in res.output, res.output
    reports.drop(columns=["agency"]).to_csv(out / "reports.csv", index=False, encoding="utf-8-sig")
    res = CliRunner().invoke(main, ["audit", str(out)])
    assert res.exit_code == 3 and "agency" in res.output


def test_15_failed_files_are_retried_when_asked(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    h.pdf_of_pages(src / "two.pdf", 2)
    out = tmp_path / "o"
    code, _ = _ingest(src, "--out", out, "--max-pages", "1", "--workers", "1")
    assert code == 1
    code, said = _ingest(src, "--out", out, "--workers", "1")
    assert code == 1 and "1 done earlier" in said
    code, said = _ingest(src, "--out", out, "--workers", "1", "--retry-failed")
    assert code == 0 and "1 read" in said, said
    assert read_dataset(out).reports.status.isin(["ok", "partial"]).tolist() == [True]


def test_16_links_get_rows_and_linked_folders_are_read(tmp_path):
    pth = tmp_path / "pth"
    pth.mkdir()
    os.symlink("loopb.docx", pth / "loopa.docx")
    os.symlink("loopa.docx", pth / "loopb.docx")
    os.symlink("/nonexistent", pth / "dangling.docx")
    outside = _folder(tmp_path, "outside", h.HUAIAN_2021)
    os.symlink(outside, pth / "outside_dir")
    os.symlink("..", pth / "up")  # a loop through a folder: walked once
    found = find_inputs([pth])
    assert [p.name for p in found.files] == ["huaian-2021.docx"]
    reasons = {p.name: why for p, why in found.problems}
    assert reasons["dangling.docx"] == "dangling symbolic link"
    assert "loop" in reasons["loopa.docx"] and "loop" in reasons["loopb.docx"]


def test_17_a_path_named_twice_is_read_once(tmp_path):
    src = _folder(tmp_path, "s", h.HUAIAN_2021)
    code, said = _ingest(src, src / "huaian-2021.docx", f"{src}/./huaian-2021.docx", "--out", tmp_path / "o")
    assert code == 0 and "1 files" in said, said
    reports = read_dataset(tmp_path / "o").reports
    assert len(reports) == 1 and reports.duplicate_of.isna().all()


def test_18_escape_sequences_in_names_are_not_printed_raw(tmp_path):
    src = tmp_path / "esc"
    src.mkdir()
    (src / "x\x1b]0;PWNED-TITLE\x07evil.txt").write_text("会议纪要\n", encoding="utf-8")
    res = CliRunner().invoke(main, ["ingest", str(src), "--out", str(tmp_path / "o")])
    assert res.exit_code == 1
    assert "\x1b" not in res.stderr and "\x07" not in res.stderr and "\\x1b]0;PWNED" in res.stderr


def test_19_every_output_file_gets_the_usual_mode_and_export_makes_no_folder(tmp_path):
    old = os.umask(0o022)
    try:
        out = tmp_path / "o"
        run_batch([h.HUAIAN_2021, h.HUAIAN_2022], out, workers=1)
        assert CliRunner().invoke(main, ["audit", str(out)]).exit_code == 0
        assert CliRunner().invoke(main, ["export", str(out), "--wide", "--out", str(tmp_path / "w.csv")]).exit_code == 0
        files = [p for p in out.iterdir() if p.is_file() and not p.name.startswith(".")] + [tmp_path / "w.csv"]
        assert len(files) >= 9
        assert {oct(p.stat().st_mode & 0o777) for p in files} == {"0o644"}
    finally:
        os.umask(old)
    res = CliRunner().invoke(main, ["export", str(out), "--wide", "--out", str(tmp_path / "no" / "such" / "w.csv")])
    assert res.exit_code == 2 and "does not exist" in res.output and not (tmp_path / "no").exists()


# ---------------------------------------------------------------------------------------------------- 20 CSV


@pytest.mark.parametrize("text", [" =1+1", "\u00a0=1+1", "\u3000=1+1", "＝1+1", "＋1+1", " @SUM(A1)", "\t=1", "－1+1"])
def test_20_formula_starts_behind_spaces_or_full_width_are_neutralised(text):
    assert excel_safe(text) == "'" + text


@pytest.mark.parametrize("text", ["-8", " -8", "12", "淮安", "1.5"])
def test_20_plain_text_and_numbers_stay(text):
    assert excel_safe(text) == text


# ---------------------------------------------------------------------------------------------------- what held


def _runs_as_formula(field: str) -> bool:
    """What a spreadsheet would run: a formula start (after spaces, full width folded) that is not a plain number."""
    import re
    import unicodedata

    if field.startswith(("\t", "\r")):
        return True
    head = unicodedata.normalize("NFKC", field).lstrip()
    return head.startswith(("=", "+", "-", "@")) and not re.fullmatch(r"[+-]?\d+(\.\d+)?", head)


def test_held_csv_injection_in_names_and_cells_is_neutralised(tmp_path, monkeypatch):
    import csv

    monkeypatch.chdir(tmp_path)
    shutil.copy(h.HUAIAN_2021, tmp_path / "=cmd|' calc'!A0.docx")
    edits = {(2, 3, 0): '=HYPERLINK("http://x")', (2, 3, 1): "+1+1", (2, 3, 2): "-2+3", (2, 3, 3): "\u3000=1+1"}
    h.edited_docx(tmp_path / "@cells.docx", edits)
    run_batch(["=cmd|' calc'!A0.docx", "@cells.docx"], "o", workers=1, format="csv")
    seen = 0
    for name in ("cells", "reports", "issues"):
        with open(tmp_path / "o" / f"{name}.csv", encoding="utf-8-sig", newline="") as f:
            for row in csv.reader(f):
                assert not [x for x in row if _runs_as_formula(x)], (name, row)
                seen += sum(x.startswith("'") for x in row)
    assert seen >= 6  # the names and the cells were there, neutralised


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(CHROMIUM is None, reason="chromium not installed")
def test_held_no_script_runs_from_report_text_in_audit_html(tmp_path):
    from test_audit_browser import Browser

    payloads = ["</script><script>alert(1)</script>", '<img src=x onerror="alert(1)">', '" onmouseover="alert(1)']
    src = tmp_path / "in"
    src.mkdir()
    h.edited_docx(src / "x.docx", {(0, 2, 1): payloads[0], (0, 3, 1): payloads[1], (2, 3, 0): payloads[2]})
    shutil.copy(h.HUAIAN_2021, src / "<img src=x onerror=alert(2)>.docx")
    out = tmp_path / "o"
    run_batch([src], out, workers=1)
    assert CliRunner().invoke(main, ["audit", str(out)]).exit_code == 0
    b = Browser(tmp_path / "profile")
    try:
        b.open((out / "audit.html").as_uri())
        run = "[...document.scripts].filter(s => !s.type || s.type.includes('javascript'))"
        assert b.js(run + ".length") == 1  # the page's own; its data sits in JSON blocks, which never run
        assert not b.js(run + ".some(s => s.text.includes('alert(1)'))")
        assert b.js("document.querySelectorAll('img').length") == 0
        n_on = "[...document.querySelectorAll('*')].filter(e => [...e.attributes].some(a => a.name.startsWith('on')))"
        assert b.js(n_on + ".length") == 0
        assert "alert(1)" in b.js("document.body.textContent")  # shown as text
    finally:
        b.close()


def test_held_thousands_of_files_quickly(tmp_path):
    src = tmp_path / "many"
    src.mkdir()
    for i in range(2000):
        (src / f"junk{i:04d}.txt").write_bytes(b"")
    shutil.copy(h.HUAIAN_2021, src)
    t0 = time.monotonic()
    stats = run_batch([src], tmp_path / "o", workers=2)
    assert time.monotonic() - t0 < 60
    assert stats.rows["reports"] == 2001
