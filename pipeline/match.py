"""Match the rows and columns of a located statistics table to the template's canonical keys.

Walks the table row by row: caption rows (第二十条第（一）项) start a block, header rows give each grid column its
key (multi-level headers stacked), data rows give a row key from their label cells (with the group context, e.g.
（三）不予公开 › 1.属于国家秘密) and values from the cells right of the labels (placed by ``pipeline.placement``).
The template is the one the labels vote for, else the year's (``templates.yaml``); a table the same in every template
(``follows_report_template``) takes the template the report's other tables agree on. Every doubt becomes an
``Issue``; a value that cannot be placed is reported with its raw text, never dropped or guessed.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from enum import Enum
from functools import lru_cache

from .issues import Issue
from .labels import best_score, contains, score
from .locate import LocatedTable
from .model import Cell, RawTable
from .normalise import header_unit, is_value_like
from .placement import ColumnKey, GridRow, Header, MatchedRow, MatchedValue, place_row, row_issues
from .specs import TableSpec
from .text import fold

# label scores are rapidfuzz ratios 0..100 over normalised forms (``labels.score``)
ROW_CUTOFF = 70.0  # below: unmatched
CLEAN_SCORE = 85.0  # below (and above ROW_CUTOFF): matched with a low-score warning
AMBIGUITY_MARGIN = 3.0  # two different keys closer than this: ambiguous
GROUP_PENALTY = 15.0  # a row met outside its group
HEADER_CUTOFF = 80.0  # a header stack scoring below this against every column names none
HEADER_GROUP_PENALTY = 12.0  # a column whose group heading is missing above it, or another column's group is there
# close to the title or a header-only label (信息内容, 申请人情况): header text. A one-character slip passes in a label
# of ten characters or more (ratio 90), not in a short one (其他 is not 其他处理)
HEADER_LABEL_SCORE = 88.0
# a label left of the leaf this close to a header-only text is header residue, not the row's group context
CONTEXT_HEADER_SCORE = 90.0
# a header-like text this close to a row label is that row (总计 heads a column and labels （七）总计): one character
# off in twenty at most
ROW_LABEL_EXACT = 95.0
GROUP_SCORE = 85.0  # a text this close to a group label (（三）不予公开, 行政诉讼) names that group
# a column scoring below this can neither win (HEADER_CUTOFF) nor rival a winner (AMBIGUITY_MARGIN): not scored on
COLUMN_LEAF_FLOOR = 60.0
# the same few hundred labels recur in every report: each question about a text is answered once per spec
MEMO_SIZE = 1 << 16

Candidates = tuple[tuple[float, str], ...]  # (score, key), best first


@dataclass
class MatchedTable:
    """The outcome of matching one statistics table: its template, its values and its doubts."""

    kind: str
    template: str | None
    values: list[MatchedValue] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    rows_matched: dict[str, float] = field(default_factory=dict)  # row key -> score
    template_votes: Counter[str] = field(default_factory=Counter)


class RowKind(Enum):
    EMPTY = "empty"
    HEADER = "header"
    DATA = "data"


# --- what a text is, per table spec (cached: the same labels recur in every report) -----------------------------
@lru_cache(maxsize=16)
def _header_vocabulary(spec: TableSpec) -> tuple[str, ...]:
    return (*spec.header_only, spec.title, *spec.title_variants)


@lru_cache(maxsize=16)
def _row_labels(spec: TableSpec) -> tuple[str, ...]:
    return tuple(lab for r in spec.rows for lab in r.labels if lab)


@lru_cache(maxsize=16)
def _column_groups(spec: TableSpec) -> frozenset[str]:
    return frozenset(g for c in spec.columns.values() for g in c.groups)


@lru_cache(maxsize=MEMO_SIZE)
def is_header_text(spec: TableSpec, text: str) -> bool:
    """Whether a text reads as the title, a header-only label or a column label."""
    return best_score(text, _header_vocabulary(spec)) >= HEADER_LABEL_SCORE or any(
        best_score(text, c.labels) >= HEADER_CUTOFF for c in spec.columns.values()
    )


@lru_cache(maxsize=MEMO_SIZE)
def group_of(spec: TableSpec, text: str) -> str | None:
    """The row group a text names (（三）不予公开), if any."""
    best, best_s = None, 0.0
    for g in spec.row_groups:
        s = score(text, g)
        if s > best_s:
            best, best_s = g, s
    return best if best_s >= GROUP_SCORE else None


@lru_cache(maxsize=MEMO_SIZE)
def is_row_label(spec: TableSpec, text: str) -> bool:
    """Whether a text reads as a row or group label (so a row holding it in a value column is laid out otherwise
    than its header); any other text there is a value that fails to parse, reported as such."""
    return best_score(text, _row_labels(spec) + tuple(spec.row_groups)) >= ROW_CUTOFF


def _names_group(text: str, group: str) -> bool:
    return score(text, group) >= GROUP_SCORE or contains(text, group)


# --- columns ------------------------------------------------------------------------------------------------------
@lru_cache(maxsize=MEMO_SIZE)
def column_scores(spec: TableSpec, stack: tuple[str, ...]) -> Candidates:
    """How well a header stack (texts above one grid column, top to bottom) names each column, best first."""
    out = []
    for key, col in spec.columns.items():
        leaf, leaf_text = 0.0, None
        for t in stack:
            s = best_score(t, col.labels)
            if s > leaf:
                leaf, leaf_text = s, t
        if leaf >= COLUMN_LEAF_FLOOR:
            out.append((_with_group_penalties(spec, col.groups, stack, leaf, leaf_text), key))
    out.sort(reverse=True)
    return tuple(out)


def _with_group_penalties(
    spec: TableSpec, groups: tuple[str, ...], stack: tuple[str, ...], leaf: float, leaf_text: str | None
) -> float:
    """The leaf's score, less a penalty per group heading of the column missing from the stack, and per other
    heading that names another column's group (行政诉讼 above a 行政复议 column)."""
    s = leaf
    for g in groups:
        if not any(_names_group(t, g) for t in stack):
            s -= HEADER_GROUP_PENALTY
    foreign = _column_groups(spec) - set(groups)
    for t in stack:
        if t is leaf_text:
            continue
        if any(_names_group(t, g) for g in foreign) and not any(_names_group(t, g) for g in groups):
            s -= HEADER_GROUP_PENALTY
    return s


def _runner_up(cands: Candidates, best_key: str) -> tuple[float, str] | None:
    """The best candidate of another key than the winner's."""
    return next(((s, k) for s, k in cands[1:] if k != best_key), None)


def _column_key(spec: TableSpec, stack: tuple[str, ...]) -> ColumnKey | None:
    """The column a header stack names clearly (no rival within ``AMBIGUITY_MARGIN``), with its unit."""
    scores = column_scores(spec, stack)
    if not scores or scores[0][0] < HEADER_CUTOFF:
        return None
    best_s, best_k = scores[0]
    rival = _runner_up(scores, best_k)
    if rival is not None and best_s - rival[0] < AMBIGUITY_MARGIN:
        return None
    return ColumnKey(best_k, best_s, header_unit(stack))


def _column_stack(grid_rows: list[list[Cell | None]], j: int) -> list[str]:
    """The header texts above grid column ``j``, top to bottom, a merged cell once."""
    return _dedupe([c.text for g in grid_rows if j < len(g) and (c := g[j]) is not None])


def read_header(spec: TableSpec, header_rows: list[GridRow], n_cols: int) -> Header:
    """The key of each grid column under a header block; ambiguous or weak columns are left out."""
    grid_rows = [r.table.grid()[r.index] for r in header_rows]
    cols: dict[int, ColumnKey] = {}
    value_start: int | None = None
    for j in range(n_cols):
        stack = _column_stack(grid_rows, j)
        if not stack:
            continue
        if value_start is None and best_score(stack[-1], spec.header_only) < HEADER_LABEL_SCORE:
            value_start = j
        key = _column_key(spec, tuple(stack))
        if key is not None:
            cols[j] = key
    if value_start is None and cols:
        value_start = min(cols)
    return Header(cols, value_start, n_cols)


# --- rows ---------------------------------------------------------------------------------------------------------
@lru_cache(maxsize=MEMO_SIZE)
def row_candidates(
    spec: TableSpec, leaf: str | None, context: tuple[str, ...], current_group: str | None
) -> Candidates:
    """How well a row's leaf label (None: no label) names each row key, best first; a row met outside its group
    (not the walk's current group, named by no context label nor by the leaf) scores ``GROUP_PENALTY`` less."""
    out = []
    for r in spec.rows:
        if r.unlabelled:
            s = 100.0 if leaf is None else 0.0
        elif leaf is None:
            continue
        else:
            s = best_score(leaf, r.labels)
        if r.group and not _in_group(r.group, leaf, context, current_group):
            s -= GROUP_PENALTY
        out.append((s, r.key))
    out.sort(reverse=True)
    return tuple(out)


def _in_group(group: str, leaf: str | None, context: tuple[str, ...], current_group: str | None) -> bool:
    """Whether a row label is met in its group: the walk's group, or one its context labels or the leaf name."""
    return current_group == group or any(_names_group(t, group) for t in context) or contains(leaf or "", group)


def table_rows(table: RawTable) -> list[GridRow]:
    """Each grid row with the cells covering it, left to right, a merged cell once."""
    return [
        GridRow(table, r, list({id(c): c for c in line if c is not None}.values()))
        for r, line in enumerate(table.grid())
    ]


def _dedupe(texts: list[str]) -> list[str]:
    """Non-blank texts, a text repeated next to itself once (a merged cell seen at every position it covers)."""
    out: list[str] = []
    for t in texts:
        if t.strip() and (not out or fold(out[-1]) != fold(t)):
            out.append(t)
    return out


def row_kind(spec: TableSpec, row: GridRow) -> RowKind:
    texts = [c.text for c in row.cells if c.row == row.index and c.text.strip()]
    if not texts:
        return RowKind.EMPTY
    if any(is_value_like(t) for t in texts):
        return RowKind.DATA
    return RowKind.HEADER if _reads_as_header(spec, texts) else RowKind.DATA


def _reads_as_header(spec: TableSpec, texts: list[str]) -> bool:
    """Two header texts; or one, with no text that is a row label (总计 is both a column and a row, （七）总计:
    one header-like text that is also a row label makes a data row)."""
    header_like = [t for t in texts if is_header_text(spec, t)]
    if len(header_like) >= 2:
        return True
    return bool(header_like) and not any(best_score(t, _row_labels(spec)) >= ROW_LABEL_EXACT for t in texts)


def _first_trailing_value(cells: list[Cell]) -> int:
    """Where the trailing run of value-like cells starts: the values when there is no usable header."""
    k = len(cells)
    while k > 0 and is_value_like(cells[k - 1].text):
        k -= 1
    return k


def split_row(spec: TableSpec, row: GridRow, header: Header | None) -> tuple[list[Cell], list[Cell]]:
    """Label cells and value cells of a data row."""
    own = row.cells
    k = _first_trailing_value(own)
    if header is not None and header.value_start is not None:
        # a figure left of where the header's value columns start (a header cut short or shifted) is a value
        first_value_col = min(header.value_start, own[k].col) if k < len(own) else header.value_start
        labels, values = _split_at(row, first_value_col)
        # a label inside the value columns means this row's cells are not laid out under the header (a text dump
        # writes merged cells once): fall back to the trailing value run
        if not any(_is_label_cell(spec, c) for c in values):
            return labels, values
    return own[:k], [c for c in own[k:] if c.row == row.index]


def _split_at(row: GridRow, first_value_col: int) -> tuple[list[Cell], list[Cell]]:
    """The cells wholly left of a grid column, and the row's own cells from it on (not those spanning from above)."""
    labels = [c for c in row.cells if c.col + c.colspan - 1 < first_value_col]
    values = [c for c in row.cells if c.col >= first_value_col and c.row == row.index]
    return labels, values


def _is_label_cell(spec: TableSpec, cell: Cell) -> bool:
    return bool(cell.text) and not is_value_like(cell.text) and is_row_label(spec, cell.text)


# --- the walk -----------------------------------------------------------------------------------------------------
@dataclass
class _Walk:
    """The state of the walk over a table's rows: the header in force, the group the rows are in, what matched."""

    spec: TableSpec
    issues: list[Issue] = field(default_factory=list)
    rows: list[MatchedRow] = field(default_factory=list)
    header_rows: list[GridRow] = field(default_factory=list)
    header: Header | None = None
    last_kind: RowKind | None = None
    group: str | None = None  # the row group the walk is in (（三）不予公开)

    def piece(self, piece: RawTable) -> None:
        if self.header is not None and self.header.width != piece.n_cols:
            self.header = None  # a piece with another grid: its own header, or position
        for row in table_rows(piece):
            kind = row_kind(self.spec, row)
            if kind is RowKind.HEADER:
                self._header_row(row, piece)
            elif kind is RowKind.DATA:
                self.last_kind = RowKind.DATA
                self._data_row(row)

    def _header_row(self, row: GridRow, piece: RawTable) -> None:
        # a header block starts after data, or in a piece of another width (a header cut by a page break: the rows
        # of the two pieces do not share a grid)
        if self.last_kind is not RowKind.HEADER or (
            self.header_rows and self.header_rows[-1].table.n_cols != piece.n_cols
        ):
            self.header_rows = []
        self.header_rows.append(row)
        self.header = read_header(self.spec, self.header_rows, piece.n_cols)
        self.last_kind = RowKind.HEADER

    def _leaf_and_context(self, labels: list[Cell]) -> tuple[str | None, tuple[str, ...]]:
        """The rightmost label (the leaf) and the labels left of it that are its context (groups such as
        （三）不予公开, not header residue); a group named in the context becomes the walk's group."""
        texts = _dedupe([c.text for c in labels])
        spec = self.spec
        context = tuple(
            t for t in texts[:-1] if group_of(spec, t) or best_score(t, spec.header_only) < CONTEXT_HEADER_SCORE
        )
        for t in context:
            self.group = group_of(spec, t) or self.group
        return (texts[-1] if texts else None), context

    def _data_row(self, row: GridRow) -> None:
        spec = self.spec
        labels, values = split_row(spec, row, self.header)
        leaf, context = self._leaf_and_context(labels)
        has_values = any(c.text.strip() for c in values)
        if not has_values and (leaf is None or self._enters_group(leaf)):
            return
        cands = row_candidates(spec, leaf, context, self.group)
        if cands and cands[0][0] >= ROW_CUTOFF:
            self._matched(row, labels, values, leaf, cands)
        elif has_values or leaf is None or best_score(leaf, _header_vocabulary(spec)) < HEADER_LABEL_SCORE:
            self._unmatched(row, values, leaf, cands)
        # else: a header text alone in a data row, nothing to read

    def _enters_group(self, label: str) -> bool:
        """Whether a label alone on its row is a group label (（三）不予公开); the walk is in that group from here."""
        group = group_of(self.spec, label)
        if group:
            self.group = group
        return bool(group)

    def _matched(
        self, row: GridRow, labels: list[Cell], values: list[Cell], leaf: str | None, cands: Candidates
    ) -> None:
        spec = self.spec
        best_s, best_k = cands[0]
        rival = _runner_up(cands, best_k)
        if rival is not None and rival[0] >= ROW_CUTOFF and best_s - rival[0] < AMBIGUITY_MARGIN:
            message = f"row label {leaf!r} matches {best_k} ({best_s:.0f}) and {rival[1]} ({rival[0]:.0f})"
            self.issues += row_issues(spec.table, "ambiguous-match", row, values, leaf, message)
            return
        group = spec.row(best_k).group
        self.group = group if group else (self.group if leaf is None else None)
        if best_s < CLEAN_SCORE:
            self.issues.append(
                Issue(
                    "low-score-match",
                    f"row label {leaf!r} matched {best_k} with score {best_s:.0f}",
                    table=spec.table,
                    row=best_k,
                    raw=leaf,
                    page=row.page,
                    table_index=row.table.index,
                    row_index=row.index,
                )
            )
        self.rows.append(MatchedRow(row, labels, values, self.header, best_k, best_s))

    def _unmatched(self, row: GridRow, values: list[Cell], leaf: str | None, cands: Candidates) -> None:
        table = self.spec.table
        if leaf is None:
            message = f"a {table} row with figures but no label"
        else:
            best = f" (best {cands[0][1]}, score {cands[0][0]:.0f})" if cands else ""
            message = f"row label {leaf!r} matches no {table} row{best}"
        self.issues += row_issues(table, "unmatched-row", row, values, leaf, message)


# --- the template -------------------------------------------------------------------------------------------------
def template_votes(spec: TableSpec, rows: list[MatchedRow]) -> Counter[str]:
    """One vote per matched row, and per header column, that only one template prints."""
    votes: Counter[str] = Counter()
    for d in rows:
        tpls = spec.row(d.key).templates
        if len(tpls) == 1:
            votes[tpls[0]] += 1
        for col in d.header.cols.values() if d.header else ():
            ct = spec.column_templates(col.key)
            if len(ct) == 1:
                votes[next(iter(ct))] += 1
    return votes


def _majority(votes: Counter[str]) -> str | None:
    """The template with more votes than any other, if one has."""
    ranked = votes.most_common()
    if ranked and (len(ranked) == 1 or ranked[0][1] > ranked[1][1]):
        return ranked[0][0]
    return None


def choose_template(spec: TableSpec, votes: Counter[str], year: int | None, issues: list[Issue]) -> str | None:
    """The template the labels vote for; else the only one the table has; else the year's (said as an issue)."""
    voted = _majority(votes)
    if voted is not None:
        return voted
    if len({t for r in spec.rows for t in r.templates}) == 1:
        return spec.rows[0].templates[0]
    tpl = spec.templates.for_year(year)
    if tpl is None and not votes:
        return None
    tpl = tpl or spec.templates.newest
    if not spec.follows_report_template:  # such a table takes the report's template: its own reading is no news
        issues.append(
            Issue(
                "template-from-year",
                f"{spec.table}: labels do not tell the template "
                f"({dict(votes) or 'no template-specific label'}); year {year} gives {tpl}",
                table=spec.table,
            )
        )
    return tpl


# --- the stage ----------------------------------------------------------------------------------------------------
def match_table(spec: TableSpec, located: LocatedTable, year: int | None, template: str | None = None) -> MatchedTable:
    """Match one located table; ``template`` (when given) is the one to read it as, else its labels decide."""
    walk = _Walk(spec)
    for piece in located.pieces:
        walk.piece(piece)
    votes = template_votes(spec, walk.rows)
    if template is None:
        template = choose_template(spec, votes, year, walk.issues)
    result = MatchedTable(spec.table, template, issues=walk.issues, template_votes=votes)
    seen: dict[str, MatchedRow] = {}
    for d in walk.rows:
        if d.key in seen:
            first = seen[d.key].row
            message = (
                f"a second row matched {d.key} (first at table {first.table.index} "
                f"row {first.index}); its values are not used"
            )
            result.issues += row_issues(spec.table, "duplicate-row", d.row, d.values, d.key, message)
            continue
        seen[d.key] = d
        result.rows_matched[d.key] = d.score
        values, issues = place_row(spec, d, template)
        result.values += values
        result.issues += issues
    return result


def match_tables(
    located: dict[str, LocatedTable], specs: dict[str, TableSpec], year: int | None
) -> dict[str, MatchedTable]:
    """Match every located table. A table that follows the report's template (appeals, the same in both) is read
    as the template the other tables agree on, or by its own labels and the year when they do not agree."""
    own = {
        kind: match_table(specs[kind], lt, year)
        for kind, lt in located.items()
        if not specs[kind].follows_report_template
    }
    shared = report_template(own, specs)
    known = shared if any(shared in s.templates.names for s in specs.values()) else None
    return {
        kind: own[kind] if kind in own else match_table(specs[kind], lt, year, template=known)
        for kind, lt in located.items()
    }


def report_template(matched: dict[str, MatchedTable], specs: dict[str, TableSpec]) -> str | None:
    """The report's template: the one its own tables agree on (not those that follow it), or "mixed"."""
    tpls = {m.template for k, m in matched.items() if m.template and not specs[k].follows_report_template}
    if len(tpls) == 1:
        return tpls.pop()
    return "mixed" if tpls else None


__all__ = [
    "MatchedTable",
    "MatchedValue",
    "choose_template",
    "column_scores",
    "match_table",
    "match_tables",
    "report_template",
    "row_candidates",
]
