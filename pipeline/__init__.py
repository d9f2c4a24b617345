"""xxgk: Chinese government information-disclosure annual reports to clean, checked datasets.

>>> import pipeline
>>> batch = pipeline.ingest(["samples"])          # three pandas frames
>>> batch.cells.head(), batch.reports, batch.issues
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .extract import extract

if TYPE_CHECKING:
    from .run import Result, ingest, process_file
    from .schema import load_schema
    from .settings import Settings
    from .tables import Batch

__version__ = "0.1.0"
__all__ = ["Batch", "Result", "Settings", "__version__", "extract", "ingest", "load_schema", "process_file"]
_LAZY = {
    "Batch": "tables",
    "Result": "run",
    "Settings": "settings",
    "ingest": "run",
    "load_schema": "schema",
    "process_file": "run",
}


def __getattr__(name: str) -> Any:
    """The API's names, imported on first use, so that ``xxgk --help`` or ``xxgk show`` loads only what it needs."""
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    globals()[name] = value
    return value
