"""Whole-development-corpus checks for .docx: accuracy by score.py, and nothing silently dropped."""

import importlib.util
import json

import pytest
from conftest import CORPUS, SHARED

from pipeline.extract import extract
from pipeline.locate import locate
from pipeline.normalise import is_value_like
from pipeline.run import ingest

pytestmark = pytest.mark.corpus


def _score_module():
    spec = importlib.util.spec_from_file_location("score", SHARED / "tools" / "score.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def docx_batch():
    return ingest([CORPUS / "docx"])


def test_docx_accuracy_at_least_99_5_percent(docx_batch, tmp_path):
    score = _score_module()
    f = tmp_path / "cells.parquet"
    docx_batch.cells.to_parquet(f)
    truth = score.load_truth(CORPUS / "truth")
    out, dups = score.load_cells(f)
    manifest = json.loads((CORPUS / "manifest.json").read_text())
    res = score.score(truth, out, manifest, ["docx_plain", "docx_messy", "docx_official"])
    for variant in ("docx_plain", "docx_messy", "docx_official"):
        assert res["variants"][variant]["non-null accuracy"] >= 0.995, (variant, res["variants"][variant])
    assert dups == 0


def test_every_non_empty_statistics_cell_is_in_cells_or_issues(docx_batch, schema):
    cells, issues = docx_batch.cells, docx_batch.issues
    for path in sorted((CORPUS / "docx").glob("*.docx")):
        doc = extract(path)
        located, _ = locate(doc, schema)
        placed = set(
            zip(
                cells[cells.source_path == str(path)].table_index,
                cells[cells.source_path == str(path)].row_index,
                cells[cells.source_path == str(path)].col_index,
                strict=False,
            )
        )
        reported = set(
            zip(
                issues[issues.source_path == str(path)].table_index,
                issues[issues.source_path == str(path)].row_index,
                issues[issues.source_path == str(path)].col_index,
                strict=False,
            )
        )
        for lt in located.values():
            for t in lt.pieces:
                for c in t.cells:
                    if c.text.strip() and is_value_like(c.text):
                        # a figure printed in a statistics table: its row may be a header (then it is no figure)
                        assert (t.index, c.row, c.col) in placed | reported, (path.name, t.index, c.row, c.col, c.text)
