"""Find the three statistics tables among a document's tables and stitch tables cut into pieces."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from .issues import Issue
from .labels import score
from .model import Document, RawTable
from .normalise import is_value_like
from .schema import Schema, TableSpec
from .text import fold

MIN_LABEL_HITS = 2  # distinct template labels a table must show to count as a statistics table
# a cell text this close to a label of the kind shows it: a one-character slip passes in a label of ten characters or
# more (ratio 90), not in a short one, where one character makes another label (其他 and 其他处理)
LABEL_HIT_SCORE = 88.0


@dataclass(frozen=True)
class LocatedTable:
    """One statistics table: its kind and the raw tables (pieces, in order) it was printed in."""

    kind: str
    pieces: tuple[RawTable, ...]
    hits: int


def vocabulary(spec: TableSpec) -> list[str]:
    """Every label that marks a table as this kind."""
    labels = [spec.title, *spec.title_variants, *spec.header_only, *spec.row_groups]
    labels += [lab for c in spec.columns.values() for lab in c.labels]
    labels += [lab for r in spec.rows for lab in r.labels if lab]
    return list(dict.fromkeys(labels))


def _label_texts(table: RawTable) -> set[str]:
    return {c.text for c in table.cells if c.text.strip() and not is_value_like(c.text) and len(fold(c.text)) >= 2}


@lru_cache(maxsize=8)
def _vocabularies(schema: Schema) -> dict[str, tuple[str, ...]]:
    return {kind: tuple(vocabulary(spec)) for kind, spec in schema.tables.items()}


@lru_cache(maxsize=1 << 16)
def _text_hits(text: str, kind: str, vocab: tuple[str, ...]) -> frozenset[int]:
    """Indexes of the vocabulary labels that ``text`` matches (cached: the same labels recur in every report)."""
    return frozenset(i for i, lab in enumerate(vocab) if score(text, lab) >= LABEL_HIT_SCORE)


def table_kind(table: RawTable, schema: Schema) -> tuple[str | None, int]:
    """The kind whose labels this table shows most (at least ``MIN_LABEL_HITS`` distinct ones), with the count."""
    texts = _label_texts(table)
    best, best_hits = None, 0
    for kind, vocab in _vocabularies(schema).items():
        hit: set[int] = set()
        for t in texts:
            hit |= _text_hits(t, kind, vocab)
        # labels shared by kinds (其他, 总计) count for both; the larger count wins
        if len(hit) > best_hits:
            best, best_hits = kind, len(hit)
    return (best, best_hits) if best_hits >= MIN_LABEL_HITS else (None, best_hits)


def locate(doc: Document, schema: Schema) -> tuple[dict[str, LocatedTable], list[Issue]]:
    """Group consecutive tables of one kind into one statistics table; report kinds found twice or not at all."""
    runs: list[list] = []  # [kind, [tables], hits]
    prev_kind = None
    for t in doc.tables:
        kind, hits = table_kind(t, schema)
        if kind is None:
            prev_kind = None
            continue
        if kind == prev_kind:
            runs[-1][1].append(t)
            runs[-1][2] += hits
        else:
            runs.append([kind, [t], hits])
        prev_kind = kind
    found: dict[str, LocatedTable] = {}
    issues: list[Issue] = []
    for kind, tables, hits in runs:
        if kind in found:
            issues.append(
                Issue(
                    "extra-table",
                    f"another {kind} table (table {tables[0].index}) after the first; not read",
                    table=kind,
                    table_index=tables[0].index,
                    page=tables[0].page,
                )
            )
            continue
        found[kind] = LocatedTable(kind, tuple(tables), hits)
    return found, issues
