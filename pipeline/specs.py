"""What the schema files in ``schemas/`` declare, as frozen records: templates, tables (rows, columns) and rules.

Loading and validating the files is ``pipeline.schema``'s work; these records import nothing of the package, so the
checks (``pipeline.checks``) and the loader can both use them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any


@dataclass(frozen=True)
class Template:
    """One official report template: its name ("2019") and the first report year it applies to."""

    name: str
    first_year: int
    issued_by: str = ""


@dataclass(frozen=True)
class Templates:
    """The report templates, oldest first (``templates.yaml``)."""

    all: tuple[Template, ...]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(t.name for t in self.all)

    @property
    def newest(self) -> str:
        return self.all[-1].name

    def for_year(self, year: int | None) -> str | None:
        """The template a report of ``year`` follows: the newest one that applies by then, the oldest before any."""
        if year is None or not self.all:
            return None
        applying = [t.name for t in self.all if t.first_year <= year]
        return applying[-1] if applying else self.all[0].name


class _Labelled:
    """What rows and columns share: an official label, its variants, and the label each template prints."""

    label: str
    variants: tuple[str, ...]
    template_labels: dict[str, str]

    @property
    def labels(self) -> tuple[str, ...]:
        return (self.label, *self.variants)

    def label_in(self, template: str | None) -> str:
        """The label the given template prints."""
        return self.template_labels.get(template or "", self.label)


@dataclass(frozen=True)
class ColumnSpec(_Labelled):
    key: str
    label: str
    variants: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()  # header labels above this column, outermost first
    signed: bool = False
    template_labels: dict[str, str] = field(default_factory=dict)  # the official label where a template differs


@dataclass(frozen=True)
class RowSpec(_Labelled):
    key: str
    label: str
    columns: dict[str, tuple[str, ...]]  # template -> column keys, left to right; templates in declared order
    variants: tuple[str, ...] = ()
    group: str | None = None  # the row-group label this row sits under, e.g. （三）不予公开
    section: str | None = None  # the block caption (proactive)
    units: dict[str, dict[str, str]] = field(default_factory=dict)  # template -> column -> default unit
    unlabelled: bool = False
    template_labels: dict[str, str] = field(default_factory=dict)  # the official label where a template differs

    @property
    def templates(self) -> tuple[str, ...]:
        """The templates that print this row, oldest first."""
        return tuple(self.columns)


@dataclass(frozen=True, eq=False)  # compared and hashed by identity: specs key the matchers' caches
class TableSpec:
    table: str
    title: str
    columns: dict[str, ColumnSpec]
    rows: tuple[RowSpec, ...]
    title_variants: tuple[str, ...] = ()
    header_only: tuple[str, ...] = ()
    row_groups: tuple[str, ...] = ()
    templates: Templates = Templates(())
    # a table printed the same in every template cannot tell the template itself: it takes the report's
    follows_report_template: bool = False

    def row(self, key: str) -> RowSpec:
        return next(r for r in self.rows if r.key == key)

    def keys(self, template: str) -> list[tuple[str, str]]:
        """Every (row, col) key of this table in ``template``, in printed order."""
        return [(r.key, c) for r in self.rows for c in r.columns.get(template, ())]

    def row_keys(self, template: str | None) -> list[str]:
        """The rows ``template`` prints, in order."""
        return [r.key for r in self.rows if template in r.columns]

    def column_keys(self, template: str | None) -> list[str]:
        """The columns ``template`` prints, in order of first appearance."""
        return list(dict.fromkeys(c for r in self.rows for c in r.columns.get(template or "", ())))

    def column_templates(self, col: str) -> frozenset[str]:
        return _column_templates(self, col)


@lru_cache(maxsize=256)
def _column_templates(spec: TableSpec, col: str) -> frozenset[str]:
    return frozenset(t for r in spec.rows for t, cols in r.columns.items() if col in cols)


@dataclass(frozen=True)
class Rule:
    name: str
    check: str
    table: str | None  # None for a rule on the report's text alone (its sections)
    severity: str
    params: dict[str, Any]
    number: int | None = None
    description: str = ""  # in Chinese
    description_en: str = ""  # the same in English


@dataclass(frozen=True)
class PanelKey:
    """One value column of the panel (``crosswalk.yaml``): a key harmonised across the templates, or one template's.

    ``sources`` maps each template that gives the key to the (row, col) cells of ``table`` summed for it: one cell,
    the key itself, for a key printed alike; several for a key one template splits into rows.
    """

    table: str
    row: str
    col: str
    sources: dict[str, tuple[tuple[str, str], ...]]
    harmonised: bool
    note: str = ""

    @property
    def name(self) -> str:
        return f"{self.table}:{self.row}:{self.col}"

    @property
    def templates(self) -> tuple[str, ...]:
        return tuple(self.sources)


@dataclass(frozen=True)
class Rate:
    """A rate researchers compute (``rates.yaml``): sums of panel keys, each term signed (+1 or -1)."""

    name: str
    label: str
    description: str
    numerator: tuple[tuple[int, str], ...]
    denominator: tuple[tuple[int, str], ...]
    denominator_label: str = ""
    formula: str = ""  # as rates.yaml writes it: (a + b) / (c − d), patterns unexpanded


@dataclass(frozen=True)
class Panel:
    """The panel's value columns in order, its rates and the rule that makes a rate NA."""

    keys: tuple[PanelKey, ...] = ()
    rates: tuple[Rate, ...] = ()
    na_rule: str = ""


@dataclass(frozen=True, eq=False)
class Schema:
    tables: dict[str, TableSpec]
    rules: tuple[Rule, ...]
    templates: Templates = Templates(())
    version: int = 1
    panel: Panel = Panel()


def expand(patterns: str | list[str], keys: list[str]) -> list[str]:
    """Keys matching the patterns, in ``keys`` order; ``x.*`` matches every key starting ``x.``."""
    pats = [patterns] if isinstance(patterns, str) else patterns
    exact = set(pats)
    prefixes = tuple(p[:-1] for p in pats if p.endswith(".*"))
    return [k for k in keys if k in exact or k.startswith(prefixes)]
