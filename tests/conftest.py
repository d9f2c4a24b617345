from __future__ import annotations

import json
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SHARED = ROOT.parent / "shared"
CORPUS = SHARED / "corpus"
TRUTH = CORPUS / "truth"
TEMPLATE_2021 = SHARED / "reference" / "official" / "template-2021.docx"


def truth(report_id: str) -> dict:
    return json.loads((TRUTH / f"{report_id}.json").read_text())


def blanked(document_stem: str) -> set:
    """Truth cells the rendered document printed blank (they are expected null)."""
    m = json.loads((CORPUS / "manifest.json").read_text())
    return {tuple(k) for k in m.get(document_stem, {}).get("blanked", [])}


def truth_cells(report_id: str) -> dict:
    t = truth(report_id)["values"]
    return {(tb, r, c): v for tb, rows in t.items() for r, cols in rows.items() for c, v in cols.items()}


@pytest.fixture(scope="session")
def schema():
    from pipeline.schema import load_schema

    return load_schema()


def pytest_collection_modifyitems(config, items):
    if not CORPUS.exists():
        skip = pytest.mark.skip(reason="../shared/corpus not present")
        for item in items:
            if "corpus" in item.keywords:
                item.add_marker(skip)
