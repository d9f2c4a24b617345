"""Both notebooks run top to bottom on the samples (in a temporary output folder) and draw their charts."""

from __future__ import annotations

import os

import nbformat
import pytest
from conftest import ROOT
from nbclient import NotebookClient

NOTEBOOKS = {"01-quickstart.ipynb": 1, "02-reconciliation.ipynb": 2}  # notebook -> charts it must draw


@pytest.mark.parametrize("name", sorted(NOTEBOOKS))
def test_notebook_runs_on_the_samples_and_draws_its_charts(name, tmp_path, monkeypatch):
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    monkeypatch.setenv("MPLCONFIGDIR", str(tmp_path / "mpl"))
    nb = nbformat.read(ROOT / "notebooks" / name, as_version=4)
    params = nb.cells[1]
    assert params.cell_type == "code" and "SAMPLES =" in params.source and "OUT =" in params.source
    out = tmp_path / "out"
    params.source = f"from pathlib import Path\nSAMPLES = Path({str(ROOT / 'samples')!r})\nOUT = Path({str(out)!r})"
    NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    charts = [o for o in outputs if "image/png" in o.get("data", {})]
    assert len(charts) == NOTEBOOKS[name]
    if name.startswith("01"):
        assert (out / "datapackage.json").exists() and (out / "cells.parquet").exists()


def test_saved_notebooks_carry_their_charts_and_no_logic():
    for name, n in NOTEBOOKS.items():
        nb = nbformat.read(ROOT / "notebooks" / name, as_version=4)
        charts = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if "image/png" in o.get("data", {})]
        assert len(charts) == n, name
        code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
        assert "def " not in code and "class " not in code and "import pipeline" in code
