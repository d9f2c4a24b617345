"""Problems found in the data, as typed records with stable kebab-case codes (never exceptions)."""

from __future__ import annotations

from dataclasses import asdict, dataclass

# code -> (severity, what it means); one table so every code has one severity
CODES: dict[str, tuple[str, str]] = {
    "unmatched-row": ("warning", "a table row whose label matches no row of the template"),
    "ambiguous-match": ("warning", "a label that matches two template keys about equally well"),
    "low-score-match": ("warning", "a label matched with a low similarity score"),
    "unmatched-column": ("warning", "a value whose column could not be told from the header or the template"),
    "duplicate-row": ("warning", "two rows of one table matched the same key"),
    "conflicting-values": ("warning", "two printed values for one cell"),
    "template-mismatch": ("warning", "a row or column of the other template inside this table"),
    "template-from-year": ("info", "no label told the template apart; the report year decided it"),
    "matched-by-position": ("info", "columns assigned by their position, the header being lost or unreadable"),
    "unparsed-value": ("warning", "a value cell whose text is not a number"),
    "null-token": ("info", "a value printed as '/', '-', '—' or '无': kept as null with its raw text"),
    "unit-unknown": ("warning", "a money amount with no unit written anywhere: kept as printed"),
    "table-missing": ("warning", "a statistics table of the template was not found"),
    "extra-table": ("warning", "a second table of the same kind; only the first is read"),
    "agency-unknown": ("info", "the agency's name could not be read from the title"),
    "year-unknown": ("warning", "the report year could not be read from the title or the file name"),
    "sum-mismatch": ("error", "a total is not the sum of its parts"),
    "balance-mismatch": ("error", "the two sides of a reconciliation identity differ"),
    "negative-value": ("error", "a count or amount below zero"),
    "non-integer-value": ("error", "a count that is not a whole number"),
    "order-violation": ("warning", "a part exceeds the whole it belongs to"),
    "cross-year-mismatch": ("error", "a figure does not follow from the same agency's report of the year before"),
    "narrative-mismatch": ("warning", "a figure stated in the text differs from the table"),
    "identical-table": ("warning", "a table the same as last year's or as another agency's, figure for figure"),
    "implausible-change": ("warning", "a figure many times larger or smaller than the year before"),
    "section-missing": ("warning", "a section 一 to 六 of the report has no heading in its text"),
    "place-unknown": (
        "info",
        "the agency's name names no province, city or county known to the gazetteer: place left null",
    ),
    "place-ambiguous": ("info", "the agency's place name fits several divisions: place left null"),
    "low-confidence": ("warning", "a figure read by OCR with low confidence: check it against the scan"),
    "extractor-note": ("info", "how the file was read (converted from .doc, encoding repaired, read by OCR …)"),
    "extractor-warning": ("warning", "a doubt about what was read: rows guessed, pages skipped, bytes unreadable"),
    "issue-limit": ("warning", "too many issues in one report: the rest were not recorded"),
    "meta-ambiguous": ("warning", "several rows of the metadata side file (--meta) fit the file: none was used"),
    "candidate-chosen": (
        "info",
        "several files found for one report (a web page and its attachments): this one read best; the others are "
        "skipped rows naming it",
    ),
}


@dataclass(frozen=True)
class Issue:
    code: str
    message: str
    table: str | None = None
    row: str | None = None
    col: str | None = None
    page: int | None = None
    raw: str | None = None
    rule: str | None = None
    expected: float | None = None
    actual: float | None = None
    difference: float | None = None
    table_index: int | None = None
    row_index: int | None = None
    col_index: int | None = None
    severity: str | None = None  # defaults to the code's severity; a rule's own severity overrides it
    # the cells a rule read, as (role, table, row, col): role is the rule's name for the operand ("total", "parts")
    cells: tuple[tuple[str, str, str, str], ...] = ()
    figure: str | None = None  # a narrative rule's figure (which number the text states)

    def __post_init__(self) -> None:
        if self.code not in CODES:
            raise ValueError(f"unknown issue code {self.code!r}")
        if self.severity is None:
            object.__setattr__(self, "severity", CODES[self.code][0])


def format_cells(cells: tuple[tuple[str, str, str, str], ...]) -> str | None:
    """Cells as written in the ``issues`` table: ``role=table/row/col`` separated by ``; ``."""
    return "; ".join(f"{role}={table}/{row}/{col}" for role, table, row, col in cells) or None


def parse_cells(text: str | None) -> tuple[tuple[str, str, str, str], ...]:
    """The inverse of ``format_cells``."""
    out = []
    for part in (text or "").split("; "):
        if "=" in part:
            role, _, key = part.partition("=")
            table, row, col = key.split("/", 2)
            out.append((role, table, row, col))
    return tuple(out)


def issues_to_records(issues: list[Issue], **extra: object) -> list[dict]:
    """Issues as rows of the ``issues`` table (``extra`` columns, such as report_id, added to each)."""
    out = []
    for i in issues:
        d = asdict(i)
        d["cells"] = format_cells(i.cells)
        d.update(extra)
        out.append(d)
    return out
