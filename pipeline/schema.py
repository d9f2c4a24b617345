"""Load and validate the templates in ``schemas/``: the one source of truth for keys, labels and rules.

Every problem in the schema files is collected and raised at once as ``SchemaFileError``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

from .errors import SchemaFileError

# the schemas ship inside the package (``pipeline/schemas/``; the repository's ``schemas/`` is a link to it), so a
# wheel installed anywhere finds them; XXGK_SCHEMAS points at another folder of schema files (for trying edits)
SCHEMA_DIR = Path(os.environ.get("XXGK_SCHEMAS", Path(__file__).resolve().parent / "schemas"))
TABLES = ("proactive", "requests", "appeals")
TEMPLATES = ("2019", "2021")
SEVERITIES = ("error", "warning", "info")
# check name -> parameters it requires (the functions live in pipeline.reconcile.CHECKS)
CHECK_PARAMS = {
    "sum_equals": ("axis", "total", "parts"),
    "balance": ("axis", "lhs", "rhs"),
    "less_equal": ("axis", "lesser", "greater"),
    "sum_non_negative": ("axis", "parts"),
    "non_negative": (),
    "non_negative_integer": (),
    # across reports (same agency, consecutive years) and text against tables: evaluated by pipeline.audit
    "previous_year_equals": ("axis", "current", "previous"),
    "previous_year_at_least": ("axis", "current", "previous"),
    "narrative_equals": ("figures",),
}
# parameters that are not key patterns (checked on their own)
NON_KEY_PARAMS = ("axis", "figures")
UNITS = ("万元", "元", "unknown")


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
    columns: dict[str, tuple[str, ...]]  # template -> column keys, left to right
    variants: tuple[str, ...] = ()
    group: str | None = None  # the row-group label this row sits under, e.g. （三）不予公开
    section: str | None = None  # the block caption (proactive)
    units: dict[str, dict[str, str]] = field(default_factory=dict)  # template -> column -> default unit
    unlabelled: bool = False
    template_labels: dict[str, str] = field(default_factory=dict)  # the official label where a template differs

    @property
    def templates(self) -> tuple[str, ...]:
        return tuple(t for t in TEMPLATES if t in self.columns)


@dataclass(frozen=True, eq=False)  # compared and hashed by identity: specs key the matchers' caches
class TableSpec:
    table: str
    title: str
    columns: dict[str, ColumnSpec]
    rows: tuple[RowSpec, ...]
    title_variants: tuple[str, ...] = ()
    header_only: tuple[str, ...] = ()
    row_groups: tuple[str, ...] = ()

    def row(self, key: str) -> RowSpec:
        return next(r for r in self.rows if r.key == key)

    def keys(self, template: str) -> list[tuple[str, str]]:
        """Every (row, col) key of this table in ``template``, in printed order."""
        return [(r.key, c) for r in self.rows for c in r.columns.get(template, ())]

    def column_templates(self, col: str) -> frozenset[str]:
        return _column_templates(self, col)


@lru_cache(maxsize=256)
def _column_templates(spec: TableSpec, col: str) -> frozenset[str]:
    return frozenset(t for r in spec.rows for t, cols in r.columns.items() if col in cols)


@dataclass(frozen=True)
class Rule:
    name: str
    check: str
    table: str
    severity: str
    params: dict
    number: int | None = None
    description: str = ""


@dataclass(frozen=True, eq=False)
class Schema:
    tables: dict[str, TableSpec]
    rules: tuple[Rule, ...]
    version: int = 1


def load_schema(directory: str | Path | None = None) -> Schema:
    """Read and validate every schema file; raise ``SchemaFileError`` listing all problems."""
    return _load(str(Path(directory or SCHEMA_DIR).resolve()))


@lru_cache(maxsize=4)
def _load(directory: str) -> Schema:
    d = Path(directory)
    problems: list[str] = []
    tables: dict[str, TableSpec] = {}
    for name in TABLES:
        data = _read(d / f"{name}.yaml", problems)
        if data is not None:
            spec = _table_spec(name, data, problems)
            if spec is not None:
                tables[name] = spec
    rules_data = _read(d / "rules.yaml", problems)
    rules = _rules(rules_data, tables, problems) if rules_data is not None else ()
    if problems:
        raise SchemaFileError(problems)
    return Schema(tables=tables, rules=tuple(rules))


def _read(path: Path, problems: list[str]) -> dict | None:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        problems.append(f"{path}: file missing")
        return None
    except yaml.YAMLError as e:
        problems.append(f"{path}: not valid YAML: {e}")
        return None
    if not isinstance(data, dict):
        problems.append(f"{path}: expected a mapping at the top level")
        return None
    if data.get("version") != 1:
        problems.append(f"{path}: version must be 1 (got {data.get('version')!r})")
    return data


def _strs(value, where: str, problems: list[str]) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        problems.append(f"{where}: expected a list of strings")
        return ()
    return tuple(value)


def _table_spec(name: str, data: dict, problems: list[str]) -> TableSpec | None:
    where = f"{name}.yaml"
    if data.get("table") != name:
        problems.append(f"{where}: 'table' must be {name!r} (got {data.get('table')!r})")
    columns: dict[str, ColumnSpec] = {}
    for key, c in (data.get("columns") or {}).items():
        if not isinstance(c, dict) or not isinstance(c.get("label"), str):
            problems.append(f"{where}: column {key!r} needs a string 'label'")
            continue
        unknown = set(c) - {"label", "variants", "groups", "signed", "template_labels"}
        if unknown:
            problems.append(f"{where}: column {key!r} has unknown fields {sorted(unknown)}")
        columns[key] = ColumnSpec(
            key,
            c["label"],
            _strs(c.get("variants"), f"{where}: column {key}", problems),
            _strs(c.get("groups"), f"{where}: column {key}", problems),
            bool(c.get("signed")),
            _template_labels(c, f"{where}: column {key!r}", problems),
        )
    if not columns:
        problems.append(f"{where}: no columns")
    rows: list[RowSpec] = []
    seen: set[str] = set()
    for i, r in enumerate(data.get("rows") or []):
        if not isinstance(r, dict) or not isinstance(r.get("key"), str) or not isinstance(r.get("label"), str):
            problems.append(f"{where}: row #{i + 1} needs string 'key' and 'label'")
            continue
        key = r["key"]
        if key in seen:
            problems.append(f"{where}: duplicate row key {key!r}")
        seen.add(key)
        cols: dict[str, tuple[str, ...]] = {}
        for tpl, keys in (r.get("columns") or {}).items():
            if str(tpl) not in TEMPLATES:
                problems.append(f"{where}: row {key!r}: unknown template {tpl!r} (expected one of {TEMPLATES})")
                continue
            keys = _strs(keys, f"{where}: row {key} columns", problems)
            for k in keys:
                if k not in columns:
                    problems.append(f"{where}: row {key!r} names unknown column {k!r}")
            if len(set(keys)) != len(keys):
                problems.append(f"{where}: row {key!r} lists a column twice in template {tpl}")
            cols[str(tpl)] = keys
        if not cols:
            problems.append(f"{where}: row {key!r} has no columns for any template")
        units = {}
        for tpl, m in (r.get("units") or {}).items():
            for ck, unit in (m or {}).items():
                if unit not in UNITS:
                    problems.append(f"{where}: row {key!r}: unit {unit!r} not one of {UNITS}")
                if ck not in cols.get(str(tpl), ()):
                    problems.append(f"{where}: row {key!r}: unit given for column {ck!r} it does not have in {tpl}")
            units[str(tpl)] = dict(m or {})
        group = r.get("group")
        if group is not None and group not in (data.get("row_groups") or []):
            problems.append(f"{where}: row {key!r}: group {group!r} is not in row_groups")
        rows.append(
            RowSpec(
                key=key,
                label=r["label"],
                columns=cols,
                variants=_strs(r.get("variants"), f"{where}: row {key}", problems),
                group=group,
                section=r.get("section"),
                units=units,
                unlabelled=bool(r.get("unlabelled")),
                template_labels=_template_labels(r, f"{where}: row {key!r}", problems),
            )
        )
    if not rows:
        problems.append(f"{where}: no rows")
    if not isinstance(data.get("title"), str):
        problems.append(f"{where}: needs a string 'title'")
        return None
    return TableSpec(
        table=name,
        title=data["title"],
        columns=columns,
        rows=tuple(rows),
        title_variants=_strs(data.get("title_variants"), where, problems),
        header_only=_strs(data.get("header_only"), where, problems),
        row_groups=_strs(data.get("row_groups"), where, problems),
    )


def _template_labels(spec: dict, where: str, problems: list[str]) -> dict[str, str]:
    out = {}
    for tpl, label in (spec.get("template_labels") or {}).items():
        if str(tpl) not in TEMPLATES or not isinstance(label, str):
            problems.append(f"{where}: template_labels needs a template ({', '.join(TEMPLATES)}) -> label")
            continue
        if label not in (spec.get("label"), *(spec.get("variants") or [])):
            problems.append(f"{where}: template label {label!r} is not among its label and variants")
        out[str(tpl)] = label
    return out


def expand(patterns, keys) -> list[str]:
    """Keys matching the patterns, in ``keys`` order; ``x.*`` matches every key starting ``x.``."""
    out = []
    for k in keys:
        for p in patterns:
            if k == p or (p.endswith(".*") and k.startswith(p[:-1])):
                out.append(k)
                break
    return out


def _rules(data: dict, tables: dict[str, TableSpec], problems: list[str]) -> list[Rule]:
    out, names = [], set()
    for i, r in enumerate(data.get("rules") or []):
        where = f"rules.yaml: rule #{i + 1} ({r.get('name', '?') if isinstance(r, dict) else '?'})"
        if not isinstance(r, dict):
            problems.append(f"{where}: expected a mapping")
            continue
        name, check, table, sev = r.get("name"), r.get("check"), r.get("table"), r.get("severity")
        if not isinstance(name, str) or not name:
            problems.append(f"{where}: needs a 'name'")
        elif name in names:
            problems.append(f"{where}: duplicate rule name")
        names.add(name)
        if check not in CHECK_PARAMS:
            problems.append(f"{where}: unknown check {check!r} (known: {sorted(CHECK_PARAMS)})")
            continue
        if sev not in SEVERITIES:
            problems.append(f"{where}: severity must be one of {SEVERITIES}")
        if table not in tables:
            problems.append(f"{where}: unknown table {table!r}")
            continue
        spec = tables[table]
        params = {
            k: v for k, v in r.items() if k not in ("name", "check", "table", "severity", "number", "description")
        }
        for p in CHECK_PARAMS[check]:
            if p not in params:
                problems.append(f"{where}: check {check} needs parameter {p!r}")
        axis = params.get("axis")
        if axis not in (None, "row", "column"):
            problems.append(f"{where}: axis must be 'row' or 'column'")
        row_keys = [x.key for x in spec.rows]
        col_keys = list(spec.columns)
        if "figures" in params:
            _check_figures(params["figures"], spec, where, problems)
        for p, v in params.items():
            if p in NON_KEY_PARAMS:
                continue
            vals = [v] if isinstance(v, str) else v
            if not isinstance(vals, list):
                problems.append(f"{where}: parameter {p!r} must be a key or a list of keys")
                continue
            # operands name rows for a column-wise rule, columns for a row-wise rule; rows/columns filter
            keys = row_keys if (p == "rows" or (axis == "column" and p != "columns")) else col_keys
            for pat in vals:
                if not expand([pat], keys):
                    problems.append(f"{where}: {p} {pat!r} names no key of table {table}")
        out.append(
            Rule(
                name=name,
                check=check,
                table=table,
                severity=sev,
                params=params,
                number=r.get("number"),
                description=r.get("description", ""),
            )
        )
    return out


def _check_figures(figures, spec: TableSpec, where: str, problems: list[str]) -> None:
    """A narrative rule's figures: a name, the (row, col) cells whose sum is stated, regexes with one number group."""
    import re

    if not isinstance(figures, list) or not figures:
        problems.append(f"{where}: figures must be a non-empty list")
        return
    for f in figures:
        if not isinstance(f, dict) or not isinstance(f.get("name"), str):
            problems.append(f"{where}: each figure needs a 'name'")
            continue
        cells = f.get("cells")
        if not isinstance(cells, list) or not cells:
            problems.append(f"{where}: figure {f['name']!r} needs 'cells': a list of [row, col]")
            cells = []
        for c in cells:
            if (
                not (isinstance(c, list) and len(c) == 2)
                or c[0] not in {r.key for r in spec.rows}
                or c[1] not in spec.columns
            ):
                problems.append(f"{where}: figure {f['name']!r}: {c!r} is no [row, col] of table {spec.table}")
        pats = f.get("patterns")
        if not isinstance(pats, list) or not pats:
            problems.append(f"{where}: figure {f['name']!r} needs 'patterns'")
            pats = []
        for pat in pats:
            try:
                if re.compile(pat).groups < 1:
                    problems.append(f"{where}: figure {f['name']!r}: pattern {pat!r} has no group for the number")
            except (re.error, TypeError) as e:
                problems.append(f"{where}: figure {f['name']!r}: bad pattern {pat!r}: {e}")
