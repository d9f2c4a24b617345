"""Load and validate ``crosswalk.yaml`` and ``rates.yaml``: the panel's keys across the templates and its rates.

Called by the schema loader (``pipeline.schema``) with the tables already read, so that a problem here is listed
with every other problem of the schema files at once. The records (``PanelKey``, ``Rate``, ``Panel``) are declared
in ``pipeline.specs``.

The crosswalk must name every (table, row, column) of every template exactly once as harmonised (the source of a
panel key) or as template-specific (with the reason it cannot be harmonised): a cell named nowhere would drop out of
the panel unseen, and a cell harmonised twice would be counted twice.
"""

from __future__ import annotations

import re
from typing import Any

from .specs import Panel, PanelKey, Rate, TableSpec, Templates, expand

Problems = list[str]
SAME_FIELDS = frozenset({"table", "rows", "columns", "note"})
SUMMED_FIELDS = frozenset({"table", "row", "from", "note"})
SPECIFIC_FIELDS = frozenset({"table", "template", "rows", "columns", "why"})
RATE_FIELDS = frozenset({"name", "label", "description", "numerator", "denominator", "denominator_label"})
RATE_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
KEY_SEP = ":"


def panel_spec(
    crosswalk: dict | None,
    rates: dict | None,
    tables: dict[str, TableSpec],
    templates: Templates,
    problems: Problems,
) -> Panel:
    """The panel's keys and rates, every problem appended to ``problems``."""
    keys = _crosswalk(crosswalk, tables, templates, problems) if crosswalk is not None else []
    if rates is None:
        return Panel(tuple(keys))
    na_rule = rates.get("na_rule")
    if not isinstance(na_rule, str) or not na_rule.strip():
        problems.append("rates.yaml: needs 'na_rule', the rule that makes a rate NA, in words")
        na_rule = ""
    return Panel(tuple(keys), tuple(_rates(rates, keys, problems)), na_rule.strip())


# --- crosswalk ----------------------------------------------------------------------------------------------------
class _Keys:
    """The panel keys as they are declared, and which template cells each harmonised one reads."""

    def __init__(self) -> None:
        self.keys: dict[str, PanelKey] = {}
        self.harmonised_from: dict[tuple[str, str, str, str], str] = {}  # (template, table, row, col) -> key name

    def add(self, key: PanelKey, where: str, problems: Problems) -> None:
        if key.name in self.keys:
            problems.append(f"{where}: panel key {key.name!r} is declared twice")
            return
        self.keys[key.name] = key
        if not key.harmonised:
            return
        for tpl, cells in key.sources.items():
            for row, col in cells:
                cell = (tpl, key.table, row, col)
                if cell in self.harmonised_from:
                    problems.append(
                        f"{where}: {key.table}/{row}/{col} ({tpl}) is harmonised twice "
                        f"({self.harmonised_from[cell]} and {key.name})"
                    )
                self.harmonised_from[cell] = key.name

    def covers(self, tpl: str, table: str, row: str, col: str) -> bool:
        if (tpl, table, row, col) in self.harmonised_from:
            return True
        k = self.keys.get(KEY_SEP.join((table, row, col)))
        return k is not None and (row, col) in k.sources.get(tpl, ())


def _crosswalk(data: dict, tables: dict[str, TableSpec], templates: Templates, problems: Problems) -> list[PanelKey]:
    _unknown(data, {"version", "harmonised", "template_specific"}, "crosswalk.yaml", problems)
    declared = _Keys()
    for i, e in enumerate(_records(data, "harmonised", problems)):
        where = f"crosswalk.yaml: harmonised #{i + 1}"
        spec = _spec(e, tables, where, problems)
        if spec is None:
            continue
        if "from" in e:
            _unknown(e, SUMMED_FIELDS, where, problems)
            new = _summed(e, spec, templates, where, problems)
        else:
            _unknown(e, SAME_FIELDS, where, problems)
            new = _same(e, spec, templates, where, problems)
        for k in new:
            declared.add(k, where, problems)
    for i, e in enumerate(_records(data, "template_specific", problems)):
        where = f"crosswalk.yaml: template_specific #{i + 1}"
        spec = _spec(e, tables, where, problems)
        if spec is not None:
            _unknown(e, SPECIFIC_FIELDS, where, problems)
            for k in _specific(e, spec, templates, where, problems):
                declared.add(k, where, problems)
    _check_coverage(declared, tables, templates, problems)
    return sorted(declared.keys.values(), key=_position(tables))


def _records(data: dict, name: str, problems: Problems) -> list[dict]:
    items = data.get(name) or []
    if not isinstance(items, list) or not all(isinstance(x, dict) for x in items):
        problems.append(f"crosswalk.yaml: '{name}' must be a list of mappings")
        return []
    return items


def _unknown(record: dict, allowed: frozenset[str] | set[str], where: str, problems: Problems) -> None:
    unknown = sorted(str(k) for k in record if k not in allowed)
    if unknown:
        problems.append(f"{where} has unknown fields {unknown}")


def _spec(e: dict, tables: dict[str, TableSpec], where: str, problems: Problems) -> TableSpec | None:
    spec = tables.get(e.get("table"))  # type: ignore[arg-type]
    if spec is None:
        problems.append(f"{where}: unknown table {e.get('table')!r}")
    return spec


def _patterns(value: Any, where: str, problems: Problems) -> list[str]:
    vals = [value] if isinstance(value, str) else value
    if not isinstance(vals, list) or not vals or not all(isinstance(v, str) for v in vals):
        problems.append(f"{where}: expected a key or a non-empty list of keys")
        return []
    return vals


def _expand_each(patterns: list[str], keys: list[str], what: str, where: str, problems: Problems) -> list[str]:
    """The keys the patterns name, in ``keys`` order; a pattern naming none is a problem."""
    for p in patterns:
        if not expand([p], keys):
            problems.append(f"{where}: {p!r} names no {what}")
    return expand(patterns, keys)


def _same(e: dict, spec: TableSpec, templates: Templates, where: str, problems: Problems) -> list[PanelKey]:
    """Rows (and columns) printed alike in every template: each cell is its own panel key."""
    rows = _expand_each(_patterns(e.get("rows"), where, problems), [r.key for r in spec.rows], "row", where, problems)
    note = str(e.get("note", ""))
    out = []
    for row in map(spec.row, rows):
        missing = [t for t in templates.names if t not in row.columns]
        if missing:
            problems.append(f"{where}: row {row.key!r} is not printed by template {', '.join(missing)}")
            continue
        printed = [row.columns[t] for t in templates.names]
        cols = _patterns(e["columns"], where, problems) if "columns" in e else list(printed[0])
        if "columns" not in e and any(set(p) != set(printed[0]) for p in printed):
            problems.append(f"{where}: row {row.key!r} has other columns in each template: name the common ones")
            continue
        for col in cols:
            if any(col not in p for p in printed):
                problems.append(f"{where}: row {row.key!r} does not print column {col!r} in every template")
                continue
            out.append(PanelKey(spec.table, row.key, col, {t: ((row.key, col),) for t in templates.names}, True, note))
    return out


def _summed(e: dict, spec: TableSpec, templates: Templates, where: str, problems: Problems) -> list[PanelKey]:
    """A panel row that is, per template, the sum of the rows named (column by column)."""
    name, given = e.get("row"), e.get("from")
    if not isinstance(name, str) or not name or KEY_SEP in name:
        problems.append(f"{where}: 'row' must name the panel row (a key without ':')")
        return []
    if not isinstance(given, dict) or {str(t) for t in given} != set(templates.names):
        problems.append(f"{where}: 'from' must give the source rows for each template ({', '.join(templates.names)})")
        return []
    sources: dict[str, list[str]] = {}
    for tpl in templates.names:
        pats = _patterns(given.get(tpl, given.get(int(tpl) if tpl.isdigit() else tpl)), where, problems)
        sources[tpl] = _expand_each(pats, spec.row_keys(tpl), f"row of template {tpl}", where, problems)
    cols = _common_columns(spec, sources, where, problems)
    note = str(e.get("note", ""))
    return [
        PanelKey(spec.table, name, col, {t: tuple((r, col) for r in rows) for t, rows in sources.items()}, True, note)
        for col in cols
    ]


def _common_columns(spec: TableSpec, sources: dict[str, list[str]], where: str, problems: Problems) -> list[str]:
    """The columns every source row prints, in the template's order; rows that differ are a problem."""
    printed = [spec.row(r).columns[t] for t, rows in sources.items() for r in rows]
    if not printed:
        return []
    if any(set(p) != set(printed[0]) for p in printed):
        problems.append(f"{where}: the source rows do not print the same columns")
    return [c for c in printed[0] if all(c in p for p in printed)]


def _specific(e: dict, spec: TableSpec, templates: Templates, where: str, problems: Problems) -> list[PanelKey]:
    """Cells kept for one template only, with the reason."""
    tpl, why = str(e.get("template")), e.get("why")
    if tpl not in templates.names:
        problems.append(f"{where}: template must be one of {', '.join(templates.names)} (got {e.get('template')!r})")
        return []
    if not isinstance(why, str) or not why.strip():
        problems.append(f"{where}: needs 'why': the reason these cells cannot be harmonised")
        why = ""
    pats = _patterns(e.get("rows"), where, problems)
    out = []
    for row in map(spec.row, _expand_each(pats, spec.row_keys(tpl), f"row of template {tpl}", where, problems)):
        cols = _patterns(e["columns"], where, problems) if "columns" in e else list(row.columns[tpl])
        for col in cols:
            if col not in row.columns[tpl]:
                problems.append(f"{where}: row {row.key!r} does not print column {col!r} in template {tpl}")
                continue
            out.append(PanelKey(spec.table, row.key, col, {tpl: ((row.key, col),)}, False, " ".join(why.split())))
    return out


def _check_coverage(declared: _Keys, tables: dict[str, TableSpec], templates: Templates, problems: Problems) -> None:
    """Every cell of every template feeds a panel key."""
    for spec in tables.values():
        for tpl in templates.names:
            missing = [f"{r}/{c}" for r, c in spec.keys(tpl) if not declared.covers(tpl, spec.table, r, c)]
            if missing:
                problems.append(
                    f"crosswalk.yaml: {spec.table} ({tpl}) cells named neither harmonised nor template_specific: "
                    + ", ".join(missing[:8])
                    + (f" and {len(missing) - 8} more" if len(missing) > 8 else "")
                )


def _position(tables: dict[str, TableSpec]):
    """Sort key of a panel key: its table, its first source row and its column, in the order they are printed."""
    order = {name: i for i, name in enumerate(tables)}
    rows = {(t, r.key): i for t, spec in tables.items() for i, r in enumerate(spec.rows)}
    cols = {(t, c): i for t, spec in tables.items() for i, c in enumerate(spec.columns)}

    def key(k: PanelKey) -> tuple[int, int, int]:
        first = min(rows[(k.table, r)] for cells in k.sources.values() for r, _ in cells)
        return order[k.table], first, cols[(k.table, k.col)]

    return key


# --- rates --------------------------------------------------------------------------------------------------------
def _rates(data: dict, keys: list[PanelKey], problems: Problems) -> list[Rate]:
    _unknown(data, {"version", "na_rule", "rates"}, "rates.yaml", problems)
    items = data.get("rates")
    if not isinstance(items, list) or not items:
        problems.append("rates.yaml: 'rates' must be a non-empty list")
        return []
    names = [k.name for k in keys]
    out: list[Rate] = []
    for i, r in enumerate(items):
        where = f"rates.yaml: rate #{i + 1} ({r.get('name', '?') if isinstance(r, dict) else '?'})"
        if not isinstance(r, dict):
            problems.append(f"{where}: expected a mapping")
            continue
        _unknown(r, RATE_FIELDS, where, problems)
        rate = _rate(r, names, where, problems)
        if rate is None:
            continue
        if rate.name in {x.name for x in out}:
            problems.append(f"{where}: duplicate rate name")
        out.append(rate)
    return out


def _rate(r: dict, names: list[str], where: str, problems: Problems) -> Rate | None:
    name, label = r.get("name"), r.get("label")
    ok = True
    if not isinstance(name, str) or not RATE_NAME.match(name):
        problems.append(f"{where}: 'name' must be lower_snake_case")
        ok = False
    if not isinstance(label, str) or not label:
        problems.append(f"{where}: needs a Chinese 'label'")
        ok = False
    num = _terms(r.get("numerator"), names, f"{where}: numerator", problems)
    den = _terms(r.get("denominator"), names, f"{where}: denominator", problems)
    if not (ok and num and den):
        return None
    return Rate(
        str(name),
        str(label),
        " ".join(str(r.get("description", "")).split()),
        num,
        den,
        str(r.get("denominator_label", "")),
        f"({_written(r['numerator'])}) / ({_written(r['denominator'])})",
    )


def _written(terms: str | list[str]) -> str:
    """Terms as a person writes them: a + b − c."""
    out = ""
    for i, t in enumerate([terms] if isinstance(terms, str) else terms):
        sign, key = ("−", t[1:]) if t.startswith("-") else ("+", t)
        out += (f"{'−' if sign == '−' else ''}{key}") if i == 0 else f" {sign} {key}"
    return out


def _terms(value: Any, names: list[str], where: str, problems: Problems) -> tuple[tuple[int, str], ...]:
    """Signed panel keys: "table:row:col" adds, "-table:row:col" subtracts; ".*" in the row expands."""
    out: list[tuple[int, str]] = []
    for term in _patterns(value, where, problems):
        sign, key = (-1, term[1:]) if term.startswith("-") else (1, term)
        parts = key.split(KEY_SEP)
        if len(parts) != 3:
            problems.append(f"{where}: {term!r} is not table:row:col")
            continue
        table, row, col = parts
        mine = [n.split(KEY_SEP)[1] for n in names if n.startswith(table + KEY_SEP) and n.endswith(KEY_SEP + col)]
        rows = expand([row], mine)
        if not rows:
            problems.append(f"{where}: {term!r} names no panel key (crosswalk.yaml)")
        out += [(sign, KEY_SEP.join((table, x, col))) for x in rows]
    return tuple(out)
