"""Every option of xxgk in one frozen, validated record, with its default and what it is for.

``Settings.resolve`` turns ``None``, a mapping (from the command line, a config file or a caller) or a ``Settings``
into a checked ``Settings``: an unknown name or a bad value is refused once, before any file is read, with a message
that names the option (``SettingsError``; the command line exits 2). Every stage reads its options from here, so
no default is written twice and a misspelt option is never silently ignored.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Mapping
from dataclasses import MISSING, asdict, dataclass, field, fields, replace
from typing import Any

from .errors import SettingsError

MB = 1024 * 1024
PDF_ENGINES = ("pdfium", "pdfplumber")
OCR_ENGINES = ("rapidocr", "tesseract")
ENGINES = ("local", "dask")
FORMATS = ("parquet", "csv")
INNER_SHARE = 0.8  # an inner time limit (a LibreOffice conversion) ends within this share of the file's own


def _opt(
    default: Any,
    help: str,
    *,
    choices: tuple | None = None,
    minimum: float | None = None,
    above: float | None = None,
    path: bool = False,
) -> Any:
    """A field with its description, and its allowed values: one of ``choices``, at least ``minimum``, more than
    ``above``. ``path``: a file name, read relative to the config file that gives it."""
    meta = {"help": help, "choices": choices, "minimum": minimum, "above": above, "path": path}
    return field(default=default, metadata=meta)


@dataclass(frozen=True)
class Settings:
    """The options of one run. Names are the command line's (``--max-pages`` is ``max_pages``)."""

    # -- limits: a file over one fails alone, with the option named in its error
    max_file_mb: float = _opt(200.0, "Limit: a larger file fails without being opened (MB).", above=0)
    max_uncompressed_mb: float = _opt(200.0, "Limit: a .docx that inflates to more fails (zip bombs; MB).", above=0)
    max_pages: int = _opt(500, "Limit: a PDF with more pages fails.", minimum=1)
    max_text_mb: float = _opt(50.0, "Limit: a larger web page or text dump fails (MB).", above=0)
    max_tables: int = _opt(2000, "Limit: a document with more tables fails.", minimum=1)
    max_table_cells: int = _opt(
        100_000, "Limit: a table of more grid positions (rows x columns) is left out, with a warning.", minimum=1
    )
    max_memory_mb: float | None = _opt(
        2048.0,
        "Limit: memory (address space, MB) a worker process may take on to read a file, enforced by the OS; a file "
        "that needs more fails alone. None: no limit.",
        above=0,
    )
    max_issues: int = _opt(500, "Issues recorded per report; one 'issue-limit' row counts the rest.", minimum=1)
    convert_timeout: float = _opt(
        120.0, "Seconds LibreOffice may take to convert one .doc/.wps (at most 80% of --timeout).", above=0
    )
    # -- how pages are read
    pdf_engine: str = _opt(
        "pdfium", "How PDF pages are read: pypdfium2 (fast) or pdfplumber (reference).", choices=PDF_ENGINES
    )
    ocr: bool | None = _opt(None, "Read scanned (image-only) PDFs by OCR (default: when an OCR engine is installed).")
    ocr_engine: str = _opt(
        "rapidocr",
        "OCR engine of scanned reports: PP-OCRv4 through rapidocr-onnxruntime, or Tesseract.",
        choices=OCR_ENGINES,
    )
    ocr_lang: str = _opt("chi_sim", "Tesseract language of scanned reports (ocr_engine tesseract).")
    ocr_dpi: int = _opt(150, "Resolution at which scanned pages are rendered for OCR.", minimum=36)
    ocr_max_megapixels: float = _opt(
        16.0, "Limit: a scanned page is rendered at a lower resolution if it would be larger (with a warning).", above=0
    )
    ocr_max_pages: int = _opt(
        40, "Scanned pages OCR'd per file at most; later ones are skipped with a warning.", minimum=1
    )
    ocr_text_pages: int = _opt(1, "Scanned pages whose running text (title, agency, year) is OCR'd.", minimum=0)
    ocr_text_lines: int = _opt(
        8, "Lines of running text OCR'd on each of those pages (the title is in the first; 0: all).", minimum=0
    )
    ocr_threads: int | None = _opt(
        None, "Threads of one OCR engine (default: the cores shared out among the worker processes).", minimum=1
    )
    ocr_min_confidence: float = _opt(
        60.0, "OCR confidence (0-100) below which a figure is reported for a look.", minimum=0
    )
    # -- the batch
    meta: str | None = _opt(
        None,
        "CSV of what you know per report (file, path or url, a downloaded report's address -> agency, region_code, "
        "year, published, url): it overrides the titles and is kept in reports.",
        path=True,
    )
    format: str = _opt("parquet", "Output format of the tidy tables.", choices=FORMATS)
    workers: int | None = _opt(None, "Worker processes (default: the number of cores).", minimum=1)
    # a guard against a file that hangs, not a speed target: a scan of several pages read by OCR on a busy machine
    # takes minutes, and one stopped early loses the figures of the pages left
    timeout: float | None = _opt(300.0, "Seconds allowed per file; a file over it is recorded as failed.", above=0)
    engine: str = _opt(
        "local", "Where files are read: worker processes here, or a Dask distributed cluster.", choices=ENGINES
    )
    scheduler: str | None = _opt(None, "Dask scheduler address (tcp://host:8786); without it a local cluster.")
    part_files: int = _opt(500, "Files per written part (a killed run loses at most one part's work).", minimum=1)
    flush_seconds: float = _opt(60.0, "A part is written at least this often (seconds).", above=0)
    progress_every: float = _opt(
        30.0, "Seconds between progress lines when stderr is no terminal (a log, CI, a notebook).", above=0
    )
    max_tasks_per_worker: int = _opt(
        1000, "Files a worker reads before it is replaced (bounds a slow leak).", minimum=1
    )
    retry_failed: bool = _opt(False, "Read again the files an earlier run into the same output folder marked failed.")
    # -- fetching reports from the web (xxgk fetch, xxgk ingest ADDRESSES)
    fetch_rate: float = _opt(1.0, "Requests per second sent to one host at most.", above=0)
    fetch_connections: int = _opt(2, "Requests in flight to one host at most.", minimum=1)
    fetch_threads: int = _opt(4, "Addresses worked on at once (across hosts).", minimum=1)
    fetch_timeout: float = _opt(
        30.0, "Seconds one request may take (connecting, waiting, downloading); a slower one is retried.", above=0
    )
    fetch_retries: int = _opt(
        3, "Retries of a request that timed out, lost its connection or got a 5xx/429.", minimum=0
    )
    fetch_backoff: float = _opt(2.0, "Seconds before the first retry; doubled at each further one.", minimum=0)
    max_redirects: int = _opt(5, "Redirects followed from one address at most.", minimum=0)
    crawl_depth: int = _opt(
        2,
        "Links followed from an address to reach a report page (0: every address is a report page or file).",
        minimum=0,
    )
    crawl_max_pages: int = _opt(
        200, "Web pages fetched from one address at most (channel pages, their pagination and report pages).", minimum=1
    )
    user_agent: str = _opt(
        "xxgk (government information-disclosure annual reports; research)",
        "User-Agent sent, and matched in robots.txt.",
    )

    def __post_init__(self) -> None:
        problems = [p for f in fields(self) if (p := _check(f, getattr(self, f.name)))]
        if self.scheduler and self.engine != "dask":
            problems.append("scheduler: a scheduler address needs engine 'dask'")
        if problems:
            raise SettingsError(problems)

    # -- derived figures, in the units the code works in
    @property
    def max_file_bytes(self) -> int:
        return int(self.max_file_mb * MB)

    @property
    def max_uncompressed_bytes(self) -> int:
        return int(self.max_uncompressed_mb * MB)

    @property
    def max_text_bytes(self) -> int:
        return int(self.max_text_mb * MB)

    @property
    def convert_seconds(self) -> float:
        """LibreOffice's time per conversion: ``convert_timeout``, but within the file's own time limit, so the
        conversion is ended (and said so) before the worker is."""
        return min(self.convert_timeout, INNER_SHARE * self.timeout) if self.timeout else self.convert_timeout

    @property
    def n_workers(self) -> int:
        return self.workers or os.cpu_count() or 1

    @classmethod
    def resolve(cls, value: Settings | Mapping[str, Any] | None = None, **overrides: Any) -> Settings:
        """A checked ``Settings`` from ``None`` (the defaults), a mapping of option names, or a ``Settings``.

        Raises:
            SettingsError: an unknown option name (with the nearest known one) or a bad value.
        """
        if isinstance(value, Settings):
            return replace(value, **overrides) if overrides else value
        given = {**dict(value or {}), **overrides}
        known = {f.name for f in fields(cls)}
        unknown = [k for k in given if k not in known]
        if unknown:
            raise SettingsError([_unknown(k, known) for k in unknown])
        return cls(**given)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def changed(self) -> dict[str, Any]:
        """The options that differ from their defaults."""
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name) != f.default}


def _unknown(name: str, known: set[str]) -> str:
    near = difflib.get_close_matches(str(name), sorted(known), n=1)
    return f"{name}: no such option" + (f" (did you mean {near[0]!r}?)" if near else "")


_TYPES: dict[str, Any] = {"bool": bool, "int": int, "float": int | float, "str": str}


def _base_type(f) -> str:
    """The field's type without ``| None``: bool, int, float or str."""
    return str(f.type).replace(" | None", "")


def _check(f, value: Any) -> str | None:
    """What is wrong with ``value`` for field ``f``, or None."""
    base = _base_type(f)
    if value is None:
        return None if "None" in str(f.type) else f"{f.name}: a value is needed ({base})"
    if not isinstance(value, _TYPES[base]) or (isinstance(value, bool) and base != "bool"):
        return f"{f.name}: {value!r} is not of type {base}"
    return _check_range(f.name, value, f.metadata)


def _check_range(name: str, value: Any, m: Mapping[str, Any]) -> str | None:
    if m["choices"] and value not in m["choices"]:
        return f"{name}: {value!r} is not one of {', '.join(m['choices'])}"
    if m["minimum"] is not None and value < m["minimum"]:
        return f"{name}: {value!r} is below {m['minimum']}"
    if m["above"] is not None and value <= m["above"]:
        return f"{name}: {value!r} must be more than {m['above']}"
    return None


def help_of(name: str) -> str:
    """The one-line description of an option (for the command line's help)."""
    return next(f.metadata["help"] for f in fields(Settings) if f.name == name)


def option_type(name: str) -> Any:
    """The click parameter type of an option: its choices or its range (click is imported only when asked)."""
    import click

    f = next(f for f in fields(Settings) if f.name == name)
    m, base = f.metadata, _base_type(f)
    if m["choices"]:
        return click.Choice(m["choices"])
    if base == "bool":
        return click.BOOL
    if base in ("int", "float"):
        rng = click.IntRange if base == "int" else click.FloatRange
        low = m["minimum"] if m["minimum"] is not None else m["above"]
        return rng(min=low, min_open=m["above"] is not None) if low is not None else rng()
    return click.STRING


def path_options() -> tuple[str, ...]:
    """The options that name a file (read relative to the config file that gives them)."""
    return tuple(f.name for f in fields(Settings) if f.metadata["path"])


def default_of(name: str) -> Any:
    f = next(f for f in fields(Settings) if f.name == name)
    return None if f.default is MISSING else f.default


DEFAULTS = Settings()
