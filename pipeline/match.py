"""Match the rows and columns of a located statistics table to the template's canonical keys.

Walks the table row by row: caption rows (第二十条第（一）项) start a block, header rows give each grid column its
key (multi-level headers stacked), data rows give a row key from their label cells (with the group context, e.g.
（三）不予公开 › 1.属于国家秘密) and values from the cells right of the labels. Where the header is lost or does not
line up, values are placed by position only when their count is exactly the template's for that row. Every doubt
becomes an ``Issue``; a value that cannot be placed is reported with its raw text, never dropped or guessed.
"""

from __future__ import annotations

import weakref
from collections import Counter
from dataclasses import dataclass, field

from .issues import Issue
from .labels import best_score, contains, score
from .locate import LocatedTable
from .model import Cell, RawTable
from .normalise import header_unit, is_value_like, parse_value
from .schema import TableSpec
from .text import fold

ROW_CUTOFF = 70.0  # below: unmatched
CLEAN_SCORE = 85.0  # below (and above ROW_CUTOFF): matched with a low-score warning
AMBIGUITY_MARGIN = 3.0  # two different keys closer than this: ambiguous
GROUP_PENALTY = 15.0  # a row met outside its group
HEADER_CUTOFF = 80.0
HEADER_GROUP_PENALTY = 12.0


@dataclass(frozen=True)
class MatchedValue:
    """A printed value placed at (row, col) of the template, with where it was printed."""

    row: str
    col: str
    raw: str
    table_index: int
    row_index: int
    col_index: int
    page: int | None
    score: float
    unit_hint: str | None = None
    confidence: float | None = None


@dataclass
class MatchedTable:
    """The outcome of matching one statistics table: its template, its values and its doubts."""

    kind: str
    template: str | None
    values: list[MatchedValue] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    rows_matched: dict[str, float] = field(default_factory=dict)  # row key -> score
    template_votes: Counter = field(default_factory=Counter)


@dataclass
class _Header:
    """What a header block says: the key of each grid column, and where the value columns start."""

    cols: dict[int, tuple[str, float, str | None]]  # grid col -> (col key, score, header unit)
    value_start: int | None  # first grid column that is not a label column (信息内容, the 勾稽关系 note)
    width: int


@dataclass
class _Row:
    table: RawTable
    index: int
    cells: list[Cell]  # cells covering this grid row, left to right, each once

    def texts(self) -> list[str]:
        return [c.text for c in self.cells]


@dataclass
class _DataRow:
    row: _Row
    labels: list[Cell]
    values: list[Cell]
    header: _Header | None
    key: str | None = None
    score: float = 0.0
    group: str | None = None


def table_rows(table: RawTable) -> list[_Row]:
    out = []
    for r, line in enumerate(table.grid()):
        seen, cells = set(), []
        for c in line:
            if c is not None and id(c) not in seen:
                seen.add(id(c))
                cells.append(c)
        out.append(_Row(table, r, cells))
    return out


def _dedupe(texts: list[str]) -> list[str]:
    out = []
    for t in texts:
        if t.strip() and (not out or fold(out[-1]) != fold(t)):
            out.append(t)
    return out


MEMO_SIZE = 50_000
_MATCHERS: weakref.WeakKeyDictionary[TableSpec, TableMatcher] = weakref.WeakKeyDictionary()


def _memo(fn):
    """Remember ``fn``'s results by its (hashable) arguments; forget all at MEMO_SIZE entries to bound memory."""
    cache: dict = {}

    def wrapped(*args):
        try:
            return cache[args]
        except KeyError:
            if len(cache) >= MEMO_SIZE:
                cache.clear()
            r = cache[args] = fn(*args)
            return r

    return wrapped


class TableMatcher:
    """Matches one located table against one table spec (both templates at first; one after voting)."""

    def __init__(self, spec: TableSpec):
        self.spec = spec
        self.header_vocab = (*spec.header_only, spec.title, *spec.title_variants)
        self.group_labels = tuple(spec.row_groups)
        self.row_labels = tuple(lab for r in spec.rows for lab in r.labels if lab)
        # the same labels recur in every report: remember what each text was judged to be
        self._is_header_like = _memo(self._is_header_like)
        self._group_of = _memo(self._group_of)
        self._is_row_label = _memo(self._is_row_label)
        self._column_scores = _memo(self._column_scores)
        self._row_candidates = _memo(self._row_candidates)

    @classmethod
    def for_spec(cls, spec: TableSpec) -> TableMatcher:
        """One matcher per table spec, kept so its memos serve every report of a batch."""
        m = _MATCHERS.get(spec)
        if m is None:
            m = _MATCHERS[spec] = cls(spec)
        return m

    # --- classifying rows -------------------------------------------------------------------------------
    def _is_header_like(self, text: str) -> bool:
        return best_score(text, self.header_vocab) >= 88 or any(
            best_score(text, c.labels) >= HEADER_CUTOFF for c in self.spec.columns.values()
        )

    def _row_kind(self, row: _Row) -> str:
        own = [c for c in row.cells if c.row == row.index]
        texts = [c.text for c in own if c.text.strip()]
        if not texts:
            return "empty"
        if any(is_value_like(t) for t in texts):
            return "data"
        header_like = [t for t in texts if self._is_header_like(t)]
        row_like = [t for t in texts if best_score(t, self.row_labels) >= 95]
        # 总计 is both a column and a row (（七）总计): one header-like text that is also a row label is a data row
        if len(header_like) >= 2 or (header_like and not row_like):
            return "header"
        return "data"

    # --- headers ------------------------------------------------------------------------------------------
    def _column_scores(self, stack: tuple[str, ...]) -> list[tuple[float, str]]:
        groups_all = {g for c in self.spec.columns.values() for g in c.groups}
        out = []
        for key, col in self.spec.columns.items():
            leaf, leaf_text = 0.0, None
            for t in stack:
                s = best_score(t, col.labels)
                if s > leaf:
                    leaf, leaf_text = s, t
            if leaf < 60:
                continue
            others = [t for t in stack if t is not leaf_text]
            s = leaf
            for g in col.groups:
                if not any(score(t, g) >= 85 or contains(t, g) for t in stack):
                    s -= HEADER_GROUP_PENALTY
            for t in others:
                # a heading that names another column's group (行政诉讼 above a 行政复议 column) counts against
                foreign = [g for g in groups_all - set(col.groups) if score(t, g) >= 85 or contains(t, g)]
                if foreign and not any(score(t, g) >= 85 or contains(t, g) for g in col.groups):
                    s -= HEADER_GROUP_PENALTY
            out.append((s, key))
        out.sort(reverse=True)
        return out

    def _header(self, header_rows: list[_Row], n_cols: int) -> _Header:
        """The key of each grid column under a header block; ambiguous or weak columns are left out."""
        grid_rows = [r.table.grid()[r.index] for r in header_rows]
        cmap, value_start = {}, None
        for j in range(n_cols):
            stack = _dedupe([g[j].text for g in grid_rows if j < len(g) and g[j] is not None])
            if not stack:
                continue
            if value_start is None and best_score(stack[-1], self.spec.header_only) < 88:
                value_start = j
            scores = self._column_scores(tuple(stack))
            if not scores or scores[0][0] < HEADER_CUTOFF:
                continue
            best_s, best_k = scores[0]
            rival = next((s for s, k in scores[1:] if k != best_k), None)
            if rival is not None and best_s - rival < AMBIGUITY_MARGIN:
                continue
            cmap[j] = (best_k, best_s, header_unit(stack))
        if value_start is None and cmap:
            value_start = min(cmap)
        return _Header(cmap, value_start, n_cols)

    # --- rows ---------------------------------------------------------------------------------------------
    def _row_candidates(self, leaf: str | None, context: tuple[str, ...], current_group: str | None):
        out = []
        for r in self.spec.rows:
            if r.unlabelled:
                s = 100.0 if leaf is None else 0.0
            elif leaf is None:
                continue
            else:
                s = best_score(leaf, r.labels)
            if r.group:
                in_group = current_group == r.group or any(
                    score(t, r.group) >= 85 or contains(t, r.group) for t in context
                )
                if not in_group and not contains(leaf or "", r.group):
                    s -= GROUP_PENALTY
            out.append((s, r.key))
        out.sort(reverse=True)
        return out

    def _group_of(self, text: str) -> str | None:
        best, best_s = None, 0.0
        for g in self.group_labels:
            s = score(text, g)
            if s > best_s:
                best, best_s = g, s
        return best if best_s >= 85 else None

    def _split(self, row: _Row, header: _Header | None) -> tuple[list[Cell], list[Cell]]:
        """Label cells and value cells of a data row."""
        own = row.cells
        # the trailing run of value-like cells: the values when there is no usable header
        k = len(own)
        while k > 0 and is_value_like(own[k - 1].text):
            k -= 1
        if header and header.value_start is not None:
            # a figure left of where the header's value columns start (a header cut short or shifted) is a value
            first_value_col = min(header.value_start, own[k].col) if k < len(own) else header.value_start
            labels = [c for c in own if c.col + c.colspan - 1 < first_value_col]
            values = [c for c in own if c.col >= first_value_col and c.row == row.index]
            # a label inside the value columns means this row's cells are not laid out under the
            # header (a text dump writes merged cells once): fall back to the trailing value run
            if not any(c.text and not is_value_like(c.text) and self._is_row_label(c.text) for c in values):
                return labels, values
        return own[:k], [c for c in own[k:] if c.row == row.index]

    def _is_row_label(self, text: str) -> bool:
        """Whether a text reads as a row or group label (so a row holding it in a value column is laid out
        otherwise than its header); any other text there is a value that fails to parse, reported as such."""
        return best_score(text, self.row_labels + self.group_labels) >= ROW_CUTOFF

    # --- the walk -----------------------------------------------------------------------------------------
    def match(self, located: LocatedTable, year: int | None) -> MatchedTable:
        spec = self.spec
        issues: list[Issue] = []
        data_rows: list[_DataRow] = []
        header_rows: list[_Row] = []
        header: _Header | None = None
        last_kind = None
        current_group: str | None = None
        for piece in located.pieces:
            if header is not None and header.width != piece.n_cols:
                header = None  # a piece with another grid: its own header, or position
            for row in table_rows(piece):
                kind = self._row_kind(row)
                if kind == "empty":
                    continue
                if kind == "header":
                    # a header block starts after data, or in a piece of another width (a header cut by a page
                    # break: the rows of the two pieces do not share a grid)
                    if last_kind != "header" or (header_rows and header_rows[-1].table.n_cols != piece.n_cols):
                        header_rows = []
                    header_rows.append(row)
                    header = self._header(header_rows, piece.n_cols)
                    last_kind = "header"
                    continue
                last_kind = "data"
                labels, values = self._split(row, header)
                texts = _dedupe([c.text for c in labels])
                # the rightmost label is the leaf; the labels left of it are its context (groups such as （三）不予公开)
                leaf = texts[-1] if texts else None
                context = [t for t in texts[:-1] if self._group_of(t) or best_score(t, spec.header_only) < 90]
                for t in context:
                    g = self._group_of(t)
                    if g:
                        current_group = g
                if leaf is not None and self._group_of(leaf) and not any(c.text.strip() for c in values):
                    current_group = self._group_of(leaf)  # a group label on a row of its own
                    continue
                cands = self._row_candidates(leaf, tuple(context), current_group)
                d = _DataRow(row, labels, values, header)
                if leaf is None and not any(c.text.strip() for c in values):
                    continue
                if cands and cands[0][0] >= ROW_CUTOFF:
                    best_s, best_k = cands[0]
                    rival = next((s for s, k in cands[1:] if k != best_k), None)
                    if rival is not None and rival >= ROW_CUTOFF and best_s - rival < AMBIGUITY_MARGIN:
                        rk = next(k for s, k in cands[1:] if k != best_k)
                        self._report_row(
                            issues,
                            "ambiguous-match",
                            row,
                            values,
                            leaf,
                            f"row label {leaf!r} matches {best_k} ({best_s:.0f}) and {rk} ({rival:.0f})",
                        )
                        continue
                    d.key, d.score = best_k, best_s
                    rspec = spec.row(best_k)
                    current_group = rspec.group if rspec.group else (current_group if leaf is None else None)
                    if best_s < CLEAN_SCORE:
                        issues.append(
                            Issue(
                                "low-score-match",
                                f"row label {leaf!r} matched {best_k} with score {best_s:.0f}",
                                table=spec.table,
                                row=best_k,
                                raw=leaf,
                                page=row.cells[0].page if row.cells else None,
                                table_index=piece.index,
                                row_index=row.index,
                            )
                        )
                    data_rows.append(d)
                elif (
                    leaf is not None
                    and best_score(leaf, self.header_vocab) >= 88
                    and not any(c.text.strip() for c in values)
                ):
                    continue
                else:
                    message = (
                        f"a {spec.table} row with figures but no label"
                        if leaf is None
                        else f"row label {leaf!r} matches no {spec.table} row"
                        + (f" (best {cands[0][1]}, score {cands[0][0]:.0f})" if cands else "")
                    )
                    self._report_row(issues, "unmatched-row", row, values, leaf, message)
        template, votes = self._template(data_rows, year, issues)
        result = MatchedTable(spec.table, template, issues=issues, template_votes=votes)
        seen: dict[str, _DataRow] = {}
        for d in data_rows:
            if d.key in seen:
                self._report_row(
                    issues,
                    "duplicate-row",
                    d.row,
                    d.values,
                    d.key,
                    f"a second row matched {d.key} (first at table {seen[d.key].row.table.index} "
                    f"row {seen[d.key].row.index}); its values are not used",
                )
                continue
            seen[d.key] = d
            result.rows_matched[d.key] = d.score
            self._place(d, template, result)
        return result

    def _template(self, rows: list[_DataRow], year: int | None, issues: list[Issue]) -> tuple[str | None, Counter]:
        votes: Counter = Counter()
        for d in rows:
            tpls = self.spec.row(d.key).templates
            if len(tpls) == 1:
                votes[tpls[0]] += 1
            if d.header:
                for key, _, _ in d.header.cols.values():
                    ct = self.spec.column_templates(key)
                    if len(ct) == 1:
                        votes[next(iter(ct))] += 1
        if votes:
            ranked = votes.most_common()
            if len(ranked) == 1 or ranked[0][1] > ranked[1][1]:
                return ranked[0][0], votes
        if len({t for r in self.spec.rows for t in r.templates}) == 1:
            return self.spec.rows[0].templates[0], votes
        tpl = None if year is None else ("2019" if year < 2021 else "2021")
        if tpl is None and not votes:
            return None, votes
        tpl = tpl or "2021"
        if self.spec.table != "appeals":
            issues.append(
                Issue(
                    "template-from-year",
                    f"{self.spec.table}: labels do not tell the template "
                    f"({dict(votes) or 'no template-specific label'}); year {year} gives {tpl}",
                    table=self.spec.table,
                )
            )
        return tpl, votes

    def _place(self, d: _DataRow, template: str | None, result: MatchedTable) -> None:
        spec, row = self.spec, d.row
        rspec = spec.row(d.key)
        tpl = template if template in rspec.columns else None
        if tpl is None:
            tpl = rspec.templates[0]
            result.issues.append(
                Issue(
                    "template-mismatch",
                    f"row {d.key} belongs to template {tpl}, the table reads as {template}",
                    table=spec.table,
                    row=d.key,
                    table_index=row.table.index,
                    row_index=row.index,
                    raw=" | ".join(c.text for c in d.labels),
                )
            )
        expected = list(rspec.columns[tpl])
        values = d.values
        placed: list[tuple[Cell, str, float, str | None]] = []
        cmap = d.header.cols if d.header else {}
        if cmap:
            keys = [cmap.get(c.col) for c in values]
            got = [k[0] for k in keys if k]
            ok = (
                all(k is not None for k in keys)
                and len(set(got)) == len(got)
                and set(got) <= set(expected)
                and got == [e for e in expected if e in got]
            )
            if ok:
                placed = [(c, k[0], min(d.score, k[1]), k[2]) for c, k in zip(values, keys, strict=False)]
            elif len(values) == len(expected) and any(k is None for k in keys):
                pass  # the header maps only some of a full row's cells: position decides (below)
            else:
                # header cells covering several keys' columns, or values that don't line up: drop blanks that the
                # header does not map, then try again before falling back to position
                kept = [(c, k) for c, k in zip(values, keys, strict=False) if k is not None or c.text.strip()]
                got = [k[0] for _, k in kept if k]
                if (
                    kept
                    and all(k is not None for _, k in kept)
                    and len(set(got)) == len(got)
                    and set(got) <= set(expected)
                ):
                    placed = [(c, k[0], min(d.score, k[1]), k[2]) for c, k in kept]
        if not placed and values:
            if len(values) == len(expected):
                placed = [(c, k, d.score, None) for c, k in zip(values, expected, strict=False)]
                if any(cmap.get(c.col, (None,))[0] != k for c, k in zip(values, expected, strict=False)):
                    result.issues.append(
                        Issue(
                            "matched-by-position",
                            f"{d.key}: {len(values)} values placed by position (header lost or not lined up)",
                            table=spec.table,
                            row=d.key,
                            table_index=row.table.index,
                            row_index=row.index,
                            page=values[0].page,
                        )
                    )
            else:
                nonblank = [c for c in values if c.text.strip()]
                if nonblank:
                    self._report_row(
                        result.issues,
                        "unmatched-column",
                        row,
                        nonblank,
                        d.key,
                        f"{d.key}: {len(values)} value cells for {len(expected)} columns "
                        f"({', '.join(expected)}) and no header to place them",
                    )
                return
        default_units = rspec.units.get(tpl, {})
        by_key: dict[str, MatchedValue] = {}
        for c, key, s, unit in placed:
            mv = MatchedValue(
                row=d.key,
                col=key,
                raw=c.text,
                table_index=row.table.index,
                row_index=row.index,
                col_index=c.col,
                page=c.page,
                score=round(s, 1),
                unit_hint=unit or default_units.get(key),
                confidence=c.confidence,
            )
            if key in by_key:
                prev = by_key[key]
                if parse_value(prev.raw).value != parse_value(c.text).value and c.text.strip():
                    result.issues.append(
                        Issue(
                            "conflicting-values",
                            f"{d.key}/{key}: {prev.raw!r} and {c.text!r}",
                            table=spec.table,
                            row=d.key,
                            col=key,
                            raw=c.text,
                            table_index=row.table.index,
                            row_index=row.index,
                            col_index=c.col,
                            page=c.page,
                        )
                    )
                continue
            by_key[key] = mv
        result.values.extend(by_key.values())

    def _report_row(self, issues, code, row: _Row, values: list[Cell], label, message) -> None:
        """One issue per non-empty value cell (or one for the row), each with its raw text and position."""
        cells = [c for c in values if c.text.strip()]
        table = self.spec.table
        if not cells:
            issues.append(
                Issue(
                    code,
                    message,
                    table=table,
                    raw=label,
                    table_index=row.table.index,
                    row_index=row.index,
                    page=row.cells[0].page if row.cells else None,
                )
            )
        for c in cells:
            issues.append(
                Issue(
                    code,
                    message,
                    table=table,
                    raw=c.text,
                    table_index=row.table.index,
                    row_index=row.index,
                    col_index=c.col,
                    page=c.page,
                )
            )


def match_tables(
    located: dict[str, LocatedTable], specs: dict[str, TableSpec], year: int | None
) -> dict[str, MatchedTable]:
    """Match every located table; the appeals table (same in both templates) takes the report's template."""
    return {kind: TableMatcher.for_spec(specs[kind]).match(lt, year) for kind, lt in located.items()}


def report_template(matched: dict[str, MatchedTable]) -> str | None:
    """The report's template: the one its tables agree on, or "mixed"."""
    tpls = {m.template for k, m in matched.items() if k != "appeals" and m.template}
    if len(tpls) == 1:
        return tpls.pop()
    return "mixed" if tpls else None


__all__ = ["MatchedTable", "MatchedValue", "TableMatcher", "match_tables", "report_template"]
