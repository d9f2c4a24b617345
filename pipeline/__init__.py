"""xxgk: Chinese government information-disclosure annual reports to clean, checked datasets.

>>> import pipeline
>>> batch = pipeline.ingest(["samples"])          # three pandas frames
>>> batch.cells.head(), batch.reports, batch.issues
"""

from .extract import extract
from .run import Result, ingest, process_file
from .schema import load_schema
from .settings import Settings
from .tables import Batch

__version__ = "0.1.0"
__all__ = ["Batch", "Result", "Settings", "__version__", "extract", "ingest", "load_schema", "process_file"]
