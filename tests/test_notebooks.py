"""The notebooks open an existing output folder (their OUT parameter) and draw their charts: on the samples (an
output folder made by the command line), and, for the panel notebook, on a panel of 2,000 reports, where every chart
must stay a readable size."""

from __future__ import annotations

import base64
import os
import struct

import nbformat
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from conftest import ROOT
from nbclient import NotebookClient

from pipeline.cli import main

NOTEBOOKS = {"01-quickstart.ipynb": 1, "02-reconciliation.ipynb": 3, "03-panel.ipynb": 3}  # notebook -> charts
MAX_CHART_PX = 1400  # at the notebooks' 100 dpi: 14 inches, a screen and a half


@pytest.fixture(scope="module")
def samples_out(tmp_path_factory):
    out = tmp_path_factory.mktemp("nb") / "out"
    for args in (
        ["ingest", str(ROOT / "samples"), "--out", str(out)],
        ["audit", str(out)],
        ["export", str(out), "--panel"],
    ):
        res = CliRunner().invoke(main, args)
        assert res.exit_code in (0, 1), res.output
    return out


def _run(name: str, out, tmp_path, monkeypatch) -> list[dict]:
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    monkeypatch.setenv("MPLCONFIGDIR", str(tmp_path / "mpl"))
    nb = nbformat.read(ROOT / "notebooks" / name, as_version=4)
    params = nb.cells[1]
    assert params.cell_type == "code" and "OUT =" in params.source
    params.source = f"from pathlib import Path\nOUT = Path({str(out)!r})"
    NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    return [o for o in outputs if "image/png" in o.get("data", {})]


def _size(chart: dict) -> tuple[int, int]:
    png = base64.b64decode(chart["data"]["image/png"])
    return struct.unpack(">II", png[16:24])


@pytest.mark.parametrize("name", sorted(NOTEBOOKS))
def test_notebook_opens_an_output_folder_and_draws_its_charts(name, samples_out, tmp_path, monkeypatch):
    charts = _run(name, samples_out, tmp_path, monkeypatch)
    assert len(charts) == NOTEBOOKS[name]


def test_the_panel_notebook_stays_readable_at_2000_reports(samples_out, tmp_path, monkeypatch):
    """2,000 rows made from the samples' panel: agencies in 31 provinces and six years; every chart stays small."""
    base = pd.read_parquet(samples_out / "panel.parquet")
    rng = np.random.default_rng(17)
    big = base.sample(2000, replace=True, random_state=17).reset_index(drop=True)
    provinces = [f"省{i:02d}" for i in range(31)]
    big["province"] = pd.array(rng.choice([*provinces, None], size=2000), dtype="string")
    big["year"] = pd.array(rng.integers(2019, 2025, size=2000), dtype="Int64")
    big["panel_id"] = [f"p{i}" for i in range(2000)]
    out = tmp_path / "big"
    out.mkdir()
    big.to_parquet(out / "panel.parquet")
    charts = _run("03-panel.ipynb", out, tmp_path, monkeypatch)
    assert len(charts) == NOTEBOOKS["03-panel.ipynb"]
    for chart in charts:
        width, height = _size(chart)
        assert width <= MAX_CHART_PX and height <= MAX_CHART_PX, (width, height)


def test_saved_notebooks_carry_their_charts_and_no_logic():
    for name, n in NOTEBOOKS.items():
        nb = nbformat.read(ROOT / "notebooks" / name, as_version=4)
        charts = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if "image/png" in o.get("data", {})]
        assert len(charts) == n, name
        code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
        assert "def " not in code and "class " not in code and "import pipeline" in code
        assert "pipeline.ingest" not in code  # they open an output folder, they do not read reports
