"""The checks on what a report's text says: figures 一、总体情况 states against the tables, and the sections 一 to 六.

What the text says is read at ingest (``narrative``: one row per figure stated, or per section heading found) and
checked by ``xxgk audit``; ``NarrativeCtx.stated`` holds those rows of one report and one rule.
"""

from __future__ import annotations

from .checks_base import TOLERANCE, CellKey, Values, show
from .issues import Issue
from .specs import Rule, TableSpec

# figure (or section) name -> [(value, raw text, paragraph)]
Stated = dict[str, list[tuple[float, str, int]]]


class NarrativeCtx:
    """One report's table values and what its text states; ``spec`` is None for a rule on the text alone."""

    def __init__(self, rule: Rule, spec: TableSpec | None, values: Values, stated: Stated) -> None:
        self.rule, self.spec, self.values, self.stated = rule, spec, values, stated


def check_narrative_equals(ctx: NarrativeCtx) -> list[Issue]:
    out: list[Issue] = []
    if ctx.spec is None:
        return out
    for fig in ctx.rule.params["figures"]:
        cells = [(ctx.spec.table, r, c) for r, c in fig["cells"]]
        vals = [ctx.values.get(k) for k in cells]
        known = [v for v in vals if v is not None]
        if len(known) < len(vals):  # a blank or missing cell: nothing to compare with
            continue
        table_value = sum(known)
        where = " + ".join(f"{r}/{c}={show(v)}" for (_, r, c), v in zip(cells, known, strict=True))
        for stated, raw, para in ctx.stated.get(fig["name"], []):
            if abs(stated - table_value) > TOLERANCE:
                out.append(_narrative_issue(ctx, fig["name"], cells, table_value, stated, raw, para, where))
    return out


def _narrative_issue(
    ctx: NarrativeCtx,
    figure: str,
    cells: list[CellKey],
    table_value: float,
    stated: float,
    raw: str,
    para: int,
    where: str,
) -> Issue:
    return Issue(
        "narrative-mismatch",
        f"{ctx.rule.name} [{figure}]: the text says {show(stated)} ({raw!r}) but the table has {where}",
        table=cells[0][0],
        row=cells[0][1],
        col=cells[0][2],
        rule=ctx.rule.name,
        expected=table_value,
        actual=stated,
        difference=stated - table_value,
        raw=raw,
        row_index=para,
        severity=ctx.rule.severity,
        cells=tuple(("cells", *k) for k in cells),
        figure=figure,
    )


def check_sections_present(ctx: NarrativeCtx) -> list[Issue]:
    """The sections a report must have (一、总体情况 … 六、其他需要报告的事项), judged only on a report whose text
    shows at least ``min_found`` of their headings: an excerpt of the tables alone has none and is not judged."""
    names = [s["name"] for s in ctx.rule.params["sections"]]
    found = [n for n in names if n in ctx.stated]
    if len(found) < int(ctx.rule.params.get("min_found", 1)) or len(found) == len(names):
        return []
    missing = [n for n in names if n not in ctx.stated]
    return [
        Issue(
            "section-missing",
            f"{ctx.rule.name}: no heading found for {', '.join(missing)} ({len(found)} of {len(names)} sections found)",
            rule=ctx.rule.name,
            expected=float(len(names)),
            actual=float(len(found)),
            difference=float(len(found) - len(names)),
            severity=ctx.rule.severity,
            figure="; ".join(missing),
        )
    ]
