"""The code book: every key a template prints, with its Chinese labels, template, unit and panel column; every rate;
and the panel's columns, described from the same sources.

An output folder carries it (``codebook.csv``/``.parquet``, described in ``datapackage.json``) so that a person who
opens ``cells`` and meets ``denied.state_secret`` or ``review.upheld`` finds the printed label without reading
``schemas/``. Everything comes from ``schemas/``: the tables' labels, ``crosswalk.yaml`` and ``rates.yaml``.
"""

from __future__ import annotations

import pandas as pd

from .schema import Schema, load_schema
from .specs import PanelKey, TableSpec
from .tables import Column, Table
from .tables_extra import CODEBOOK, PANEL_ID

MONEY = "yuan"
COUNT = "count"
SHARE = "share"
ZH_SEP = "｜"


def _label(spec: TableSpec, row_key: str, col: str, template: str) -> str:
    """Row and column as the template prints them: （三）不予公开 1.属于国家秘密｜申请人情况 自然人."""
    row = spec.row(row_key)
    row_label = " ".join(x for x in (row.group, row.label_in(template)) if x)
    column = spec.columns[col]
    return ZH_SEP.join(x for x in (row_label, " ".join((*column.groups, column.label_in(template)))) if x)


def cell_unit(spec: TableSpec, row_key: str, col: str, template: str) -> str:
    """yuan for a money amount (a column the schema gives a unit), else count."""
    return MONEY if col in spec.row(row_key).units.get(template, {}) else COUNT


def key_title(k: PanelKey, schema: Schema) -> str:
    """A panel key's printed labels (table ｜ row ｜ column) in the newest template that gives it; a summed row is
    named by its group (（六）其他处理)."""
    spec = schema.tables[k.table]
    tpl = k.templates[-1]
    cells = k.sources[tpl]
    if len(cells) == 1:
        return ZH_SEP.join((spec.title, _label(spec, *cells[0], tpl)))
    group = spec.row(cells[0][0]).group or k.row
    column = spec.columns[k.col]
    return ZH_SEP.join((spec.title, group, " ".join((*column.groups, column.label_in(tpl)))))


def key_unit(k: PanelKey, schema: Schema) -> str:
    spec = schema.tables[k.table]
    money = any(cell_unit(spec, r, c, t) == MONEY for t, cells in k.sources.items() for r, c in cells)
    return MONEY if money else COUNT


def key_description(k: PanelKey, schema: Schema) -> str:
    """What a panel column holds: its unit, and how each template gives it (or that only one does, and why)."""
    unit = "money in yuan" if key_unit(k, schema) == MONEY else "count"
    if k.harmonised:
        how = "; ".join(f"{t}: {' + '.join('/'.join(c) for c in cells)}" for t, cells in k.sources.items())
        return f"{unit}; harmonised across templates ({how}). {k.note}".strip()
    return f"{unit}; template {k.templates[0]} only (NA for the other): {k.note}"


def codebook_frame(schema: Schema | None = None) -> pd.DataFrame:
    """One row per (key, template) a template prints, then one per rate."""
    schema = schema or load_schema()
    feeds = {(tpl, k.table, r, c): k for k in schema.panel.keys for tpl, cells in k.sources.items() for r, c in cells}
    rows = []
    for spec in schema.tables.values():
        for tpl in schema.templates.names:
            for r, c in spec.keys(tpl):
                k = feeds.get((tpl, spec.table, r, c))
                rows.append(
                    {
                        "key": f"{spec.table}:{r}:{c}",
                        "kind": "cell",
                        "table": spec.table,
                        "row": r,
                        "col": c,
                        "template": tpl,
                        "table_title": spec.title,
                        "label_zh": _label(spec, r, c, tpl),
                        "unit": cell_unit(spec, r, c, tpl),
                        "panel_key": k.name if k else None,
                        "harmonised": k.harmonised if k else None,
                        "note": k.note if k else None,
                    }
                )
    for rate in schema.panel.rates:
        rows.append(
            {
                "key": rate.name,
                "kind": "rate",
                "label_zh": rate.label,
                "unit": SHARE,
                "panel_key": rate.name,
                "formula": rate.formula,
                "note": f"{rate.description}. Denominator: {rate.denominator_label}. {schema.panel.na_rule}",
            }
        )
    return CODEBOOK.frame(rows)


def panel_table(schema: Schema | None = None) -> Table:
    """The panel's columns: who and which file, then one per panel key, then one per rate."""
    schema = schema or load_schema()
    keys = [Column(k.name, "float64", key_title(k, schema), key_description(k, schema)) for k in schema.panel.keys]
    rates = [
        Column(r.name, "float64", r.label, f"{r.description}: {r.formula}. {schema.panel.na_rule}")
        for r in schema.panel.rates
    ]
    return Table(
        "panel",
        (*PANEL_ID, *keys, *rates),
        "One row per (agency, year): the chosen file's figures on keys harmonised across the templates "
        "(schemas/crosswalk.yaml), with rates (schemas/rates.yaml)",
        ("panel_id",),
        foreign_key=False,
    )
