""".doc/.wps extractor: LibreOffice conversion of a corpus file, missing LibreOffice, timeouts."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

from pipeline.errors import DependencyMissing, DocumentLoadError
from pipeline.extract import doc as doc_extractor
from pipeline.extract import extract
from pipeline.model import Format

CORPUS = Path("/work/shared/corpus")
DOC = CORPUS / "doc" / "2019-shanghai-city-govoffice__doc.doc"
DOCX = CORPUS / "docx" / "2019-shanghai-city-govoffice__docx_plain.docx"
needs_corpus = pytest.mark.skipif(not CORPUS.is_dir(), reason="development corpus not present")
needs_soffice = pytest.mark.skipif(doc_extractor.find_soffice() is None, reason="LibreOffice not installed")


def _row_texts(d):
    return [[[c.text for c in t.cells if c.row == r] for r in range(t.n_rows)] for t in d.tables]


@needs_corpus
@needs_soffice
def test_doc_reads_like_its_docx():
    d = extract(DOC)
    assert d.origin.format is Format.DOC
    assert d.origin.path == str(DOC)  # the original file, not the converted one
    # same cells row by row; LibreOffice may split a grid column where row edges differ slightly
    assert _row_texts(d) == _row_texts(extract(DOCX))
    assert "一、总体情况" in d.paragraphs
    assert any("LibreOffice" in n for n in d.notes)


@needs_corpus
@needs_soffice
def test_wps_suffix(tmp_path):
    f = tmp_path / "报告 (1).wps"  # odd characters in the name must not matter
    shutil.copyfile(DOC, f)
    d = extract(f)
    assert d.origin.format is Format.WPS and d.origin.path == str(f)
    assert len(d.tables) == 3
    assert any(".wps" in n for n in d.notes)


def test_missing_libreoffice(tmp_path, monkeypatch):
    f = tmp_path / "x.doc"
    f.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504)
    monkeypatch.setattr(doc_extractor, "find_soffice", lambda: None)
    with pytest.raises(
        DependencyMissing,
        match=r"LibreOffice is needed to read \.doc/\.wps files: "
        r"apt-get install libreoffice-writer",
    ):
        extract(f)


def test_timeout_kills_conversion(tmp_path, monkeypatch):
    fake = tmp_path / "soffice"
    fake.write_text("#!/bin/sh\nsleep 60 &\nsleep 60\n")
    fake.chmod(0o755)
    f = tmp_path / "x.doc"
    f.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504)
    monkeypatch.setattr(doc_extractor, "find_soffice", lambda: str(fake))
    start = time.monotonic()
    with pytest.raises(DocumentLoadError, match="within 1 s"):
        extract(f, {"convert_timeout": 1})
    assert time.monotonic() - start < 10


@needs_soffice
def test_broken_doc_is_a_load_error(tmp_path):
    f = tmp_path / "broken.doc"
    f.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(range(256)) * 8)
    with pytest.raises(DocumentLoadError):
        extract(f, {"convert_timeout": 60})
