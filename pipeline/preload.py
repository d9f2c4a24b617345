"""What a worker process reads files with, imported when it starts (``engines``), before its first file arrives.

A forked worker has the package's stages from the run that forked it; this loads the extractors and the libraries
they read files with (about 0.15 s) while the run plans its first file, instead of on that file. A library that fails
to import here is left to fail, with its own message, where a file needs it.
"""

from __future__ import annotations

import contextlib
import importlib

MODULES = (
    "pipeline.extract.docx",
    "pipeline.extract.pdf",
    "pipeline.extract.html",
    "pipeline.extract.txt",
    "pipeline.extract.doc",
    "lxml.etree",
    "pypdfium2",
    "pypdfium2.raw",
)

for _name in MODULES:
    with contextlib.suppress(Exception):
        importlib.import_module(_name)
