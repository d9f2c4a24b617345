"""Options from xxgk.toml or [tool.xxgk] of pyproject.toml: found here or above, checked like the command line's,
overridden by it; a file option is read relative to the config file."""

from __future__ import annotations

import pandas as pd
import pytest
from click.testing import CliRunner
from conftest import CORPUS

from pipeline.cli import main
from pipeline.config import find_config, load_config
from pipeline.errors import SettingsError

REPORT = CORPUS / "docx" / "syn2021b__docx_plain.docx"


def test_the_nearest_config_file_applies(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.xxgk]\nformat = "csv"\n')
    sub = tmp_path / "a" / "b"
    sub.mkdir(parents=True)
    assert find_config(sub) == tmp_path / "pyproject.toml"
    (tmp_path / "a" / "xxgk.toml").write_text("workers = 1\n")
    assert find_config(sub) == tmp_path / "a" / "xxgk.toml"
    (sub / "pyproject.toml").write_text('[project]\nname = "x"\n')  # no [tool.xxgk]: not a config file
    assert find_config(sub) == tmp_path / "a" / "xxgk.toml"
    assert load_config(tmp_path / "pyproject.toml") == {"format": "csv"}


def test_a_bad_config_file_names_the_file_and_every_problem(tmp_path):
    f = tmp_path / "xxgk.toml"
    f.write_text('max-pages = 0\nformt = "csv"\n')
    with pytest.raises(SettingsError) as e:
        load_config(f)
    assert len(e.value.problems) == 2 and all(str(f) in p for p in e.value.problems)
    assert "did you mean 'format'" in str(e.value)
    res = CliRunner().invoke(main, ["--config", str(f), "ingest", str(REPORT), "--out", str(tmp_path / "o")])
    assert res.exit_code == 2 and "formt" in res.output


def test_ingest_takes_the_config_and_the_command_line_wins(tmp_path, monkeypatch):
    meta = tmp_path / "cfg" / "meta.csv"
    meta.parent.mkdir()
    meta.write_text(f"file,agency\n{REPORT.name},甲局\n", encoding="utf-8")
    (tmp_path / "cfg" / "xxgk.toml").write_text('format = "csv"\nmeta = "meta.csv"\nworkers = 1\n')
    monkeypatch.chdir(tmp_path / "cfg")
    res = CliRunner().invoke(main, ["ingest", str(REPORT), "--out", str(tmp_path / "a")])
    assert res.exit_code == 0, res.output
    r = pd.read_csv(tmp_path / "a" / "reports.csv", encoding="utf-8-sig")
    assert r["agency"].item() == "甲局"  # meta.csv found beside the config file, not in the working folder
    res = CliRunner().invoke(main, ["ingest", str(REPORT), "--out", str(tmp_path / "b"), "--format", "parquet"])
    assert res.exit_code == 0 and (tmp_path / "b" / "reports.parquet").exists()
