"""The command line on real files: outputs, exit codes, bad files in a batch."""

import os
import shutil
import subprocess
import sys

import pandas as pd
import pytest
from click.testing import CliRunner
from conftest import CORPUS, ROOT

from pipeline.cli import main
from pipeline.divisions import divisions


def _batch(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    for name in ("2021-fujian-pingtan-zone__docx_official.docx", "2019-shanghai-city-govoffice__docx_messy.docx"):
        shutil.copy(CORPUS / "docx" / name, src / name)
    (src / "empty.docx").write_bytes(b"")
    (src / "corrupt.docx").write_bytes((CORPUS / "docx" / "syn2021b__docx_plain.docx").read_bytes()[:4000])
    import docx

    d = docx.Document()
    d.add_paragraph("会议纪要")
    t = d.add_table(rows=2, cols=2)
    t.cell(0, 0).text, t.cell(0, 1).text, t.cell(1, 0).text, t.cell(1, 1).text = "姓名", "电话", "张三", "123"
    d.save(src / "not-a-report.docx")
    return src


def test_ingest_batch_with_bad_files(tmp_path):
    src = _batch(tmp_path)
    out = tmp_path / "out"
    res = CliRunner().invoke(main, ["ingest", str(src), "--out", str(out)])
    assert res.exit_code == 1, res.output
    reports = pd.read_parquet(out / "reports.parquet").set_index("source_path")
    status = {p.split("/")[-1]: s for p, s in reports["status"].items()}
    assert status["empty.docx"] == "failed" and status["corrupt.docx"] == "failed"
    assert status["not-a-report.docx"] == "failed"
    errors = {p.split("/")[-1]: e for p, e in reports["error"].items()}
    assert errors["empty.docx"] == "empty file (0 bytes)"
    assert "cannot read .docx" in errors["corrupt.docx"]
    assert "no statistics table found" in errors["not-a-report.docx"]
    assert status["2021-fujian-pingtan-zone__docx_official.docx"] == "ok"
    # the good reports give exactly what they give alone
    alone = tmp_path / "alone"
    CliRunner().invoke(main, ["ingest", str(src / "2021-fujian-pingtan-zone__docx_official.docx"), "--out", str(alone)])
    a = pd.read_parquet(alone / "cells.parquet")
    b = pd.read_parquet(out / "cells.parquet")
    b = b[b.source_path.str.endswith("2021-fujian-pingtan-zone__docx_official.docx")]
    cols = ["report_id", "table", "row", "col", "value", "raw", "match_score"]
    pd.testing.assert_frame_equal(a[cols].reset_index(drop=True), b[cols].reset_index(drop=True))
    assert len(a) == 175 + 15 + 3 * 2 + 3 + 1  # requests 2021 + appeals + proactive 2021


def test_ingest_csv_opens_in_excel_and_pandas(tmp_path):
    out = tmp_path / "out"
    f = CORPUS / "docx" / "2020-fujian-pingtan-zone__docx_messy.docx"
    res = CliRunner().invoke(main, ["ingest", str(f), "--out", str(out), "--format", "csv"])
    assert res.exit_code == 0, res.output
    raw = (out / "cells.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM: Excel reads the Chinese right
    cells = pd.read_csv(out / "cells.csv", encoding="utf-8-sig")
    change = cells[(cells.row == "punishment") & (cells.col == "change")]
    assert change.value.tolist() == [-18.0] and change.raw.tolist() == ["-18"]  # a negative number stays a number
    issues = pd.read_csv(out / "issues.csv", encoding="utf-8-sig")
    assert "requests-outcome-sum" in set(issues.rule.dropna())


def test_parquet_dtypes_are_stable(tmp_path):
    out = tmp_path / "out"
    CliRunner().invoke(main, ["ingest", str(CORPUS / "docx" / "syn2021b__docx_plain.docx"), "--out", str(out)])
    cells = pd.read_parquet(out / "cells.parquet")
    assert str(cells["value"].dtype) == "float64" and str(cells["year"].dtype) == "Int64"
    assert str(cells["page"].dtype) == "Int64" and cells["page"].isna().all()  # no pages in a docx
    assert cells.report_id.str.len().eq(16).all()


def test_show_prints_the_matched_tables():
    res = CliRunner().invoke(main, ["show", str(CORPUS / "docx" / "2021-fujian-pingtan-zone__docx_official.docx")])
    assert res.exit_code == 0
    assert "template 2021" in res.output and "other.no_correction" in res.output
    assert "fees" in res.output and "amount=242523110.82" in res.output


_LOADED = """
import sys
from pipeline.cli import main
try:
    main(sys.argv[1:], standalone_mode=False)
finally:
    heavy = ("pandas", "pyarrow", "jionlp", "docx")
    print("LOADED", " ".join(m for m in heavy if m in sys.modules), file=sys.stderr)
"""


@pytest.mark.parametrize(
    "args", [["--help"], ["show", str(CORPUS / "docx" / "2021-fujian-pingtan-zone__docx_official.docx")]]
)
def test_help_and_show_load_no_dataframe_library(args):
    """What a user waits for: `xxgk --help` and `xxgk show` import neither pandas nor pyarrow (0.4 s), nor jionlp
    (its division table is read from the index's cache), nor python-docx."""
    divisions()  # built once per machine (that first build loads jionlp); every later command reads the cache
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    res = subprocess.run([sys.executable, "-c", _LOADED, *args], env=env, capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    assert res.stderr.strip().splitlines()[-1] == "LOADED", res.stderr


def test_usage_errors_exit_2(tmp_path):
    assert CliRunner().invoke(main, ["ingest", str(tmp_path / "nope"), "--out", str(tmp_path)]).exit_code == 2
    assert CliRunner().invoke(main, ["ingest", str(tmp_path), "--out", str(tmp_path / "o")]).exit_code == 2


def test_limits_are_options_and_name_themselves(tmp_path):
    pdf = CORPUS / "pdf" / "syn2021b__pdf_lattice.pdf"
    res = CliRunner().invoke(
        main, ["ingest", str(pdf), "--out", str(tmp_path / "a"), "--max-pages", "1", "--workers", "1"]
    )
    assert res.exit_code == 1
    r = pd.read_parquet(tmp_path / "a" / "reports.parquet")
    assert "(max_pages)" in r.error[0]
    res = CliRunner().invoke(
        main, ["ingest", str(pdf), "--out", str(tmp_path / "b"), "--max-file-mb", "0.001", "--workers", "1"]
    )
    assert "(max_file_mb)" in pd.read_parquet(tmp_path / "b" / "reports.parquet").error[0]


def test_verbose_quiet_and_log_file(tmp_path):
    f = CORPUS / "docx" / "syn2021b__docx_plain.docx"
    log = tmp_path / "run.log"
    res = CliRunner().invoke(main, ["-v", "--log-file", str(log), "ingest", str(f), "--out", str(tmp_path / "a")])
    assert res.exit_code == 0, res.output
    assert f"{f}: ok, 200 cells, 0 issues" in res.output and "Output: 1 reports" in res.output
    assert f"INFO pipeline.batch: {f}: ok" in log.read_text(encoding="utf-8")
    res = CliRunner().invoke(main, ["-q", "ingest", str(f), "--out", str(tmp_path / "b")])
    assert res.exit_code == 0 and res.output == ""
    res = CliRunner().invoke(main, ["-q", "-v", "ingest", str(f), "--out", str(tmp_path / "c")])
    assert res.exit_code == 2


def test_show_json_gives_the_row_cells_and_issues():
    import json

    f = CORPUS / "docx" / "2019-shanghai-city-govoffice__docx_messy.docx"
    res = CliRunner().invoke(main, ["show", str(f), "--json"])
    assert res.exit_code == 0, res.output
    d = json.loads(res.output)
    assert d["report"]["agency"] == "上海市人民政府办公厅" and d["report"]["status"] in ("ok", "partial")
    new = next(c for c in d["cells"] if (c["table"], c["row"], c["col"]) == ("requests", "new", "total"))
    assert new["value"] == 859 and {"page", "match_score", "confidence", "row_index"} <= set(new)
    assert all({"code", "severity", "message"} <= set(i) for i in d["issues"])


def test_a_missing_file_outside_the_output_folder_is_not_blamed_on_it(tmp_path, monkeypatch):
    """An OS error about a file xxgk reads to run (not one of the output folder's) is said as that, exit 1; one
    about the output folder (or a folder it is made in) stays an output error, exit 3."""
    from pipeline import batch

    sample = next((ROOT / "samples").glob("*.docx"))
    missing = tmp_path / "lib" / "table.txt"

    def lost(*a, **k):
        raise FileNotFoundError(2, "No such file or directory", str(missing))

    monkeypatch.setattr(batch, "finish_report", lost)
    res = CliRunner().invoke(main, ["ingest", str(sample), "--out", str(tmp_path / "out"), "--workers", "1"])
    assert res.exit_code == 1, res.output
    assert "cannot read a file it needs" in res.output and "table.txt" in res.output
    assert "output folder" not in res.output
    missing = tmp_path  # the folder the output folder is made in
    res = CliRunner().invoke(main, ["ingest", str(sample), "--out", str(tmp_path / "out2"), "--workers", "1"])
    assert res.exit_code == 3 and "cannot use the output folder" in res.output, res.output
