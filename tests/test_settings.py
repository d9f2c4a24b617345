"""Options are one validated record: an unknown name or a bad value is refused once, before any file is read."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeline.cli import main
from pipeline.errors import SettingsError
from pipeline.extract import extract
from pipeline.run import process_file
from pipeline.settings import DEFAULTS, Settings, help_of

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
DOCX = SAMPLES / "huaian-2021.docx"


def test_defaults_are_valid_and_every_option_is_described():
    assert Settings.resolve(None) == DEFAULTS
    for f in dataclasses.fields(Settings):
        assert help_of(f.name).strip(), f.name


@pytest.mark.parametrize(
    "given, named",
    [
        ({"pdf_engin": "pdfium"}, "did you mean 'pdf_engine'"),
        ({"pdf_engine": "ocr"}, "pdf_engine: 'ocr' is not one of pdfium, pdfplumber"),
        ({"max_pages": 0}, "max_pages: 0 is below 1"),
        ({"timeout": -1}, "timeout: -1 must be more than 0"),
        ({"workers": True}, "workers: True is not of type int"),
        ({"ocr": "yes"}, "ocr: 'yes' is not of type bool"),
        ({"format": "xlsx"}, "format: 'xlsx' is not one of parquet, csv"),
        ({"scheduler": "tcp://h:8786"}, "scheduler: a scheduler address needs engine 'dask'"),
    ],
)
def test_a_bad_option_is_refused_with_its_name(given, named):
    with pytest.raises(SettingsError) as e:
        Settings.resolve(given)
    assert named in str(e.value)


def test_every_problem_is_listed_at_once():
    with pytest.raises(SettingsError) as e:
        Settings.resolve({"max_pages": 0, "timeout": 0})
    assert len(e.value.problems) == 2


def test_a_misspelt_option_is_not_silently_ignored_by_the_library():
    with pytest.raises(SettingsError, match="pdf_engin"):
        extract(DOCX, {"pdf_engin": "pdfplumber"})
    with pytest.raises(SettingsError, match="max_page"):
        process_file(DOCX, settings={"max_page": 3})


def test_a_bad_engine_fails_the_command_once_before_reading(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    shutil.copy(DOCX, src / DOCX.name)
    r = CliRunner().invoke(main, ["ingest", str(src), "--out", str(tmp_path / "out"), "--max-pages", "0"])
    assert r.exit_code == 2 and "max-pages" in r.output  # click names the flag itself
    r = CliRunner().invoke(
        main, ["ingest", str(src), "--out", str(tmp_path / "out"), "--scheduler", "tcp://127.0.0.1:1"]
    )
    assert r.exit_code == 2 and "scheduler" in r.output
    assert not (tmp_path / "out").exists()  # nothing was read or written


def test_settings_reach_the_extractor(tmp_path):
    r = process_file(DOCX, settings={"max_uncompressed_mb": 0.001})
    assert r.status == "failed" and "max_uncompressed_mb" in (r.report.error or "")
    assert process_file(DOCX).status in ("ok", "partial")
