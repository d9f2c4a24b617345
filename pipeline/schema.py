"""Load and validate the templates in ``schemas/``: the one source of truth for templates, keys, labels and rules.

Every problem in the schema files is collected and raised at once as ``SchemaFileError``. The records themselves
(``TableSpec``, ``Rule`` …) are declared in ``pipeline.specs`` and re-exported here.
"""

from __future__ import annotations

import os
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from .checks import CHECKS
from .errors import SchemaFileError
from .panel_schema import panel_spec
from .specs import ColumnSpec, Panel, PanelKey, Rate, RowSpec, Rule, Schema, TableSpec, Template, Templates, expand

# the schemas ship inside the package (``pipeline/schemas/``; the repository's ``schemas/`` is a link to it), so a
# wheel installed anywhere finds them; XXGK_SCHEMAS points at another folder of schema files (for trying edits)
SCHEMA_DIR = Path(os.environ.get("XXGK_SCHEMAS", Path(__file__).resolve().parent / "schemas"))
TABLES = ("proactive", "requests", "appeals")
SEVERITIES = ("error", "warning", "info")
UNITS = ("万元", "元", "unknown")
# parameters that are not key patterns (each check declares its own settings besides: thresholds, patterns)
NON_KEY_PARAMS = ("axis",)
# the fields each record may have; a misspelt field would otherwise be silently ignored
TABLE_FIELDS = frozenset(
    {
        "version",
        "table",
        "title",
        "title_variants",
        "header_only",
        "row_groups",
        "columns",
        "rows",
        "follows_report_template",
    }
)
COLUMN_FIELDS = frozenset({"label", "variants", "groups", "signed", "template_labels"})
ROW_FIELDS = frozenset(
    {"key", "label", "columns", "variants", "group", "section", "units", "unlabelled", "template_labels"}
)
TEMPLATE_FIELDS = frozenset({"first_year", "issued_by"})
RULE_FIELDS = frozenset({"name", "check", "table", "severity", "number", "description", "description_en"})

Problems = list[str]
# libyaml's parser when PyYAML has it (the same safe constructor, ten times faster: `xxgk show` waits for it)
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_schema(directory: str | Path | None = None) -> Schema:
    """Read and validate every schema file; raise ``SchemaFileError`` listing all problems."""
    return _load(str(Path(directory or SCHEMA_DIR).resolve()))


def __getattr__(name: str) -> tuple[str, ...]:
    """``TEMPLATES``: the default schema's template names, oldest first, for callers holding no ``Schema``."""
    if name == "TEMPLATES":
        return load_schema().templates.names
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@lru_cache(maxsize=4)
def _load(directory: str) -> Schema:
    d = Path(directory)
    problems: Problems = []
    templates = _templates(_read(d / "templates.yaml", problems), problems)
    tables: dict[str, TableSpec] = {}
    for name in TABLES:
        data = _read(d / f"{name}.yaml", problems)
        spec = _table_spec(name, data, templates, problems) if data is not None else None
        if spec is not None:
            tables[name] = spec
    rules_data = _read(d / "rules.yaml", problems)
    rules = _rules(rules_data, tables, problems) if rules_data is not None else []
    # the panel's files are read always, checked against sound tables only: a broken table would make every
    # crosswalk line naming it a problem too, burying the one that matters
    sound = not problems
    crosswalk, rates = _read(d / "crosswalk.yaml", problems), _read(d / "rates.yaml", problems)
    panel = panel_spec(crosswalk, rates, tables, templates, problems) if sound else None
    if problems:
        raise SchemaFileError(problems)
    return Schema(tables=tables, rules=tuple(rules), templates=templates, panel=panel or Panel())


def _read(path: Path, problems: Problems) -> dict | None:
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_YAML_LOADER)
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


def _strs(value: Any, where: str, problems: Problems) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        problems.append(f"{where}: expected a list of strings")
        return ()
    return tuple(value)


def _unknown_fields(record: dict, allowed: frozenset[str], where: str, problems: Problems) -> None:
    # a top-level key starting "_" holds a YAML anchor (a shared column list), not a field
    unknown = {k for k in record if k not in allowed and not str(k).startswith("_")}
    if unknown:
        problems.append(f"{where} has unknown fields {sorted(map(str, unknown))}")


# --- templates ----------------------------------------------------------------------------------------------------
def _templates(data: dict | None, problems: Problems) -> Templates:
    """The declared templates, oldest first; each needs a first year later than the one before."""
    if data is None:
        return Templates(())
    declared = data.get("templates")
    if not isinstance(declared, dict) or not declared:
        problems.append("templates.yaml: 'templates' must map each template name to its first_year")
        return Templates(())
    out: list[Template] = []
    for name, t in declared.items():
        where = f"templates.yaml: template {name!r}"
        if not isinstance(t, dict) or not isinstance(t.get("first_year"), int):
            problems.append(f"{where} needs an integer 'first_year'")
            continue
        _unknown_fields(t, TEMPLATE_FIELDS, where, problems)
        if out and t["first_year"] <= out[-1].first_year:
            problems.append(f"{where}: first_year must come after {out[-1].name}'s ({out[-1].first_year})")
        out.append(Template(str(name), t["first_year"], str(t.get("issued_by", ""))))
    return Templates(tuple(out))


# --- tables -------------------------------------------------------------------------------------------------------
def _table_spec(name: str, data: dict, templates: Templates, problems: Problems) -> TableSpec | None:
    where = f"{name}.yaml"
    if data.get("table") != name:
        problems.append(f"{where}: 'table' must be {name!r} (got {data.get('table')!r})")
    _unknown_fields(data, TABLE_FIELDS, where, problems)
    columns = _columns(data.get("columns") or {}, templates, where, problems)
    rows = _rows(data, columns, templates, where, problems)
    follows = data.get("follows_report_template", False)
    if not isinstance(follows, bool):
        problems.append(f"{where}: follows_report_template must be true or false")
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
        templates=templates,
        follows_report_template=follows is True,
    )


def _columns(data: dict, templates: Templates, where: str, problems: Problems) -> dict[str, ColumnSpec]:
    columns: dict[str, ColumnSpec] = {}
    for key, c in data.items():
        if not isinstance(c, dict) or not isinstance(c.get("label"), str):
            problems.append(f"{where}: column {key!r} needs a string 'label'")
            continue
        _unknown_fields(c, COLUMN_FIELDS, f"{where}: column {key!r}", problems)
        columns[key] = ColumnSpec(
            key,
            c["label"],
            _strs(c.get("variants"), f"{where}: column {key}", problems),
            _strs(c.get("groups"), f"{where}: column {key}", problems),
            bool(c.get("signed")),
            _template_labels(c, templates, f"{where}: column {key!r}", problems),
        )
    if not columns:
        problems.append(f"{where}: no columns")
    return columns


def _rows(
    data: dict, columns: dict[str, ColumnSpec], templates: Templates, where: str, problems: Problems
) -> list[RowSpec]:
    rows: list[RowSpec] = []
    seen: set[str] = set()
    groups = data.get("row_groups") or []
    for i, r in enumerate(data.get("rows") or []):
        if not isinstance(r, dict) or not isinstance(r.get("key"), str) or not isinstance(r.get("label"), str):
            problems.append(f"{where}: row #{i + 1} needs string 'key' and 'label'")
            continue
        if r["key"] in seen:
            problems.append(f"{where}: duplicate row key {r['key']!r}")
        seen.add(r["key"])
        rows.append(_row(r, columns, groups, templates, where, problems))
    if not rows:
        problems.append(f"{where}: no rows")
    return rows


def _row(
    r: dict, columns: dict[str, ColumnSpec], groups: list, templates: Templates, where: str, problems: Problems
) -> RowSpec:
    key = r["key"]
    _unknown_fields(r, ROW_FIELDS, f"{where}: row {key!r}", problems)
    cols = _row_columns(key, r.get("columns") or {}, columns, templates, where, problems)
    units = _row_units(key, r.get("units") or {}, cols, where, problems)
    group = r.get("group")
    if group is not None and group not in groups:
        problems.append(f"{where}: row {key!r}: group {group!r} is not in row_groups")
    return RowSpec(
        key=key,
        label=r["label"],
        columns=cols,
        variants=_strs(r.get("variants"), f"{where}: row {key}", problems),
        group=group,
        section=r.get("section"),
        units=units,
        unlabelled=bool(r.get("unlabelled")),
        template_labels=_template_labels(r, templates, f"{where}: row {key!r}", problems),
    )


def _row_columns(
    key: str, data: dict, columns: dict[str, ColumnSpec], templates: Templates, where: str, problems: Problems
) -> dict[str, tuple[str, ...]]:
    """Template -> the row's column keys, with the templates in declared order (oldest first)."""
    cols: dict[str, tuple[str, ...]] = {}
    for tpl, keys in data.items():
        if str(tpl) not in templates.names:
            problems.append(f"{where}: row {key!r}: unknown template {tpl!r} (expected one of {templates.names})")
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
    return {t: cols[t] for t in templates.names if t in cols}


def _row_units(
    key: str, data: dict, cols: dict[str, tuple[str, ...]], where: str, problems: Problems
) -> dict[str, dict[str, str]]:
    units = {}
    for tpl, m in data.items():
        for ck, unit in (m or {}).items():
            if unit not in UNITS:
                problems.append(f"{where}: row {key!r}: unit {unit!r} not one of {UNITS}")
            if ck not in cols.get(str(tpl), ()):
                problems.append(f"{where}: row {key!r}: unit given for column {ck!r} it does not have in {tpl}")
        units[str(tpl)] = dict(m or {})
    return units


def _template_labels(spec: dict, templates: Templates, where: str, problems: Problems) -> dict[str, str]:
    out = {}
    for tpl, label in (spec.get("template_labels") or {}).items():
        if str(tpl) not in templates.names or not isinstance(label, str):
            problems.append(f"{where}: template_labels needs a template ({', '.join(templates.names)}) -> label")
            continue
        if label not in (spec.get("label"), *(spec.get("variants") or [])):
            problems.append(f"{where}: template label {label!r} is not among its label and variants")
        out[str(tpl)] = label
    return out


# --- rules --------------------------------------------------------------------------------------------------------
def _rules(data: dict, tables: dict[str, TableSpec], problems: Problems) -> list[Rule]:
    out: list[Rule] = []
    names: set[str] = set()
    for i, r in enumerate(data.get("rules") or []):
        where = f"rules.yaml: rule #{i + 1} ({r.get('name', '?') if isinstance(r, dict) else '?'})"
        if not isinstance(r, dict):
            problems.append(f"{where}: expected a mapping")
            continue
        rule = _rule(r, tables, names, where, problems)
        if rule is not None:
            out.append(rule)
    return out


def _rule(r: dict, tables: dict[str, TableSpec], names: set[str], where: str, problems: Problems) -> Rule | None:
    name, check, table, sev = r.get("name"), r.get("check"), r.get("table"), r.get("severity")
    if not isinstance(name, str) or not name:
        problems.append(f"{where}: needs a 'name'")
    elif name in names:
        problems.append(f"{where}: duplicate rule name")
    if isinstance(name, str):
        names.add(name)
    if check not in CHECKS:
        problems.append(f"{where}: unknown check {check!r} (known: {sorted(CHECKS)})")
        return None
    if sev not in SEVERITIES:
        problems.append(f"{where}: severity must be one of {SEVERITIES}")
    params = {k: v for k, v in r.items() if k not in RULE_FIELDS}
    if not CHECKS[check].table:  # a check on the text alone
        if table is not None:
            problems.append(f"{where}: check {check} names no table")
        _check_params(check, params, None, where, problems)
    elif table not in tables:
        problems.append(f"{where}: unknown table {table!r}")
        return None
    else:
        _check_params(check, params, tables[table], where, problems)
    return Rule(
        name=str(name),
        check=check,
        table=table,
        severity=str(sev),
        params=params,
        number=r.get("number"),
        description=r.get("description", ""),
        description_en=r.get("description_en", ""),
    )


def _check_params(check: str, params: dict, spec: TableSpec | None, where: str, problems: Problems) -> None:
    """The parameters the check declares (``checks.CHECKS``): every required one, no other, each naming keys."""
    declared = CHECKS[check]
    for p in declared.required:
        if p not in params:
            problems.append(f"{where}: check {check} needs parameter {p!r}")
    unknown = [p for p in params if p not in declared.params]
    if unknown:
        problems.append(f"{where}: check {check} takes no parameter {', '.join(map(repr, unknown))}")
    axis = params.get("axis")
    if axis not in (None, "row", "column"):
        problems.append(f"{where}: axis must be 'row' or 'column'")
    _check_settings(params, spec, where, problems)
    for p, v in params.items():
        if p not in NON_KEY_PARAMS and p not in declared.settings and spec is not None:
            _check_keys(p, v, axis, spec, where, problems)


def _check_settings(params: dict, spec: TableSpec | None, where: str, problems: Problems) -> None:
    """The parameters that are not keys: a narrative rule's figures, a sections rule's sections, thresholds."""
    if "figures" in params and spec is not None:
        _check_figures(params["figures"], spec, where, problems)
    if "sections" in params:
        _check_sections(params["sections"], where, problems)
    for p in ("max_ratio", "min_value", "min_distinct", "min_found"):
        if p in params and (not isinstance(params[p], int | float) or params[p] < 0):
            problems.append(f"{where}: {p} must be a number ≥ 0")


def _check_keys(param: str, value: Any, axis: str | None, spec: TableSpec, where: str, problems: Problems) -> None:
    """Every pattern of a key parameter names a key of the table."""
    vals = [value] if isinstance(value, str) else value
    if not isinstance(vals, list):
        problems.append(f"{where}: parameter {param!r} must be a key or a list of keys")
        return
    # operands name rows for a column-wise rule, columns for a row-wise rule; rows/columns filter
    names_rows = param == "rows" or (axis == "column" and param != "columns")
    keys = [x.key for x in spec.rows] if names_rows else list(spec.columns)
    for pat in vals:
        if not expand([pat], keys):
            problems.append(f"{where}: {param} {pat!r} names no key of table {spec.table}")


def _named(items: Any, kind: str, where: str, problems: Problems) -> list[dict]:
    """The records of a non-empty list parameter (figures, sections) that have a name; the others are problems."""
    if not isinstance(items, list) or not items:
        problems.append(f"{where}: {kind}s must be a non-empty list")
        return []
    named = [x for x in items if isinstance(x, dict) and isinstance(x.get("name"), str)]
    if len(named) < len(items):
        problems.append(f"{where}: each {kind} needs a 'name'")
    return named


def _check_figures(figures: Any, spec: TableSpec, where: str, problems: Problems) -> None:
    """A narrative rule's figures: a name, the (row, col) cells whose sum is stated, regexes with one number group."""
    for f in _named(figures, "figure", where, problems):
        _check_figure_cells(f, spec, where, problems)
        _check_patterns(f, "figure", where, problems, number=True)


def _check_sections(sections: Any, where: str, problems: Problems) -> None:
    """A sections rule's sections: each a name and the patterns a heading of it starts with."""
    for s in _named(sections, "section", where, problems):
        _check_patterns(s, "section", where, problems, number=False)


def _check_figure_cells(f: dict, spec: TableSpec, where: str, problems: Problems) -> None:
    cells = f.get("cells")
    if not isinstance(cells, list) or not cells:
        problems.append(f"{where}: figure {f['name']!r} needs 'cells': a list of [row, col]")
        return
    rows = {r.key for r in spec.rows}
    for c in cells:
        if not (isinstance(c, list) and len(c) == 2) or c[0] not in rows or c[1] not in spec.columns:
            problems.append(f"{where}: figure {f['name']!r}: {c!r} is no [row, col] of table {spec.table}")


def _check_patterns(item: dict, kind: str, where: str, problems: Problems, number: bool) -> None:
    """An item's regular expressions: at least one, each valid (with a group for the number, for a figure)."""
    pats = item.get("patterns")
    if not isinstance(pats, list) or not pats:
        problems.append(f"{where}: {kind} {item['name']!r} needs 'patterns'")
        return
    for pat in pats:
        try:
            if number and re.compile(pat).groups < 1:
                problems.append(f"{where}: {kind} {item['name']!r}: pattern {pat!r} has no group for the number")
            re.compile(pat)
        except (re.error, TypeError) as e:
            problems.append(f"{where}: {kind} {item['name']!r}: bad pattern {pat!r}: {e}")


__all__ = [
    "SCHEMA_DIR",
    "TABLES",
    "ColumnSpec",
    "Panel",
    "PanelKey",
    "Rate",
    "RowSpec",
    "Rule",
    "Schema",
    "TableSpec",
    "Template",
    "Templates",
    "expand",
    "load_schema",
]
