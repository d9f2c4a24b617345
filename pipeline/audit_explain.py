"""One sentence in Chinese and one in English for each failure of ``xxgk audit``: what failed, what was expected and
printed, and whether a cell it read may be a misread (read by OCR, placed by position, matched with a low score).

The Chinese sentence is wholly Chinese (cells named by their printed labels, the rule by its Chinese description);
the English one wholly English (cells named by their keys, sections by their English names). Figures are written in
full (``text.format_figure``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .schema import Rule, Schema, TableSpec
from .text import format_figure

TABLE_NAMES_ZH = {"proactive": "表二", "requests": "表三", "appeals": "表四"}
TABLE_NAMES_EN = {
    "proactive": "table 2 (proactive disclosure)",
    "requests": "table 3 (requests)",
    "appeals": "table 4 (reviews and lawsuits)",
}
SECTION_NAMES_EN = ("overview", "proactive disclosure", "requests", "reviews and lawsuits", "problems", "other matters")


def _row_label(spec: TableSpec, row: str) -> str:
    r = next((x for x in spec.rows if x.key == row), None)
    return r.label if r else row


def _col_label(spec: TableSpec, col: str, all_groups: bool) -> str:
    c = spec.columns.get(col)
    if c is None:
        return col
    return "".join(g + "›" for g in (c.groups if all_groups else c.groups[1:])) + c.label


def cell_label(schema: Schema, table: str | None, row: str | None, col: str | None) -> str:
    """A cell named as printed: 行 label › 列 label (a row printed without a label names its columns' groups)."""
    if table not in schema.tables:
        return "/".join(x for x in (row, col) if x)
    spec = schema.tables[table]
    row_text = _row_label(spec, row) if row else ""
    parts = ([row_text] if row_text else []) + ([_col_label(spec, col, not row_text)] if col else [])
    return " › ".join(parts) or spec.title


def cell_key(f: dict) -> str:
    return "/".join(x for x in (f.get("table"), f.get("row"), f.get("col")) if x)


# ------------------------------------------------------------------------------------------- may be a misread
def doubt_zh(c: dict) -> str:
    """Why a cell may be a misread, in Chinese."""
    out = []
    if "ocr" in c.get("doubts", ()):
        conf = c.get("confidence")
        out.append(f"由 OCR 识读（置信度 {format_figure(conf)}）" if conf is not None else "由 OCR 识读")
    if "matched-by-position" in c.get("doubts", ()):
        out.append("表头缺失，按位置对应列")
    if "low-score" in c.get("doubts", ()):
        out.append(f"标签匹配分较低（{format_figure(c.get('match_score'))}）")
    return "，".join(out)


def doubt_en(c: dict) -> str:
    """Why a cell may be a misread, in English."""
    out = []
    if "ocr" in c.get("doubts", ()):
        conf = c.get("confidence")
        out.append(f"read by OCR (confidence {format_figure(conf)})" if conf is not None else "read by OCR")
    if "matched-by-position" in c.get("doubts", ()):
        out.append("placed by position (header lost)")
    if "low-score" in c.get("doubts", ()):
        out.append(f"matched with a low label score ({format_figure(c.get('match_score'))})")
    return ", ".join(out)


def _misread_note(f: dict, schema: Schema) -> tuple[str, str]:
    """The sentence added when a cell the rule read may be a misread (or, for a rule on no cell, the report was
    read by OCR)."""
    doubtful = [c for c in f.get("cells") or [] if c.get("reading") == "may-be-misread"]
    if not doubtful:
        if f.get("reading") == "may-be-misread":
            return "该报告由 OCR 识读，可能有误读，请对照原件。", " The report was read by OCR: check against the scan."
        return "", ""
    zh, en = [], []
    for c in doubtful[:3]:
        year = "上一年度报告的" if c.get("role") == "previous(Y-1)" else ""
        last = "last year's " if c.get("role") == "previous(Y-1)" else ""
        zh.append(f"{year}「{cell_label(schema, c.get('table'), c.get('row'), c.get('col'))}」{doubt_zh(c)}")
        en.append(f"{last}{cell_key(c)} was {doubt_en(c)}")
    more_zh = f"等 {len(doubtful)} 个单元格" if len(doubtful) > 3 else ""
    more_en = f" (and {len(doubtful) - 3} more)" if len(doubtful) > 3 else ""
    return (
        f"注意：{'；'.join(zh)}{more_zh}，可能是误读而非报告本身不符，请对照原件。",
        f" Note: {'; '.join(en)}{more_en}: it may be a misread rather than a fault of the report; check the source.",
    )


# ------------------------------------------------------------------------------------------------- the sentences
@dataclass
class _Words:
    """The parts of a failure's explanation: where, the figures, the rule's names in both languages."""

    f: dict
    rule: Rule | None
    schema: Schema
    where: str  # the cell as printed (label › label)
    key: str  # the cell as keyed (table/row/col)
    exp: str
    act: str
    diff: str
    num: str  # 规则N
    numen: str  # rule N
    desc: str  # the rule's description in Chinese
    name: str  # the rule's name (kebab-case)

    @classmethod
    def of(cls, f: dict, rule: Rule | None, schema: Schema) -> _Words:
        n = rule.number if rule and rule.number else None
        return cls(
            f,
            rule,
            schema,
            cell_label(schema, f.get("table"), f.get("row"), f.get("col")),
            cell_key(f),
            format_figure(f.get("expected")) or "空",
            format_figure(f.get("actual")) or "空",
            format_figure(f.get("difference")) or "空",
            f"规则{n}" if n else "规则",
            f"rule {n}" if n else "rule",
            (rule.description if rule else "") or "",
            (rule.name if rule else f.get("code")) or "",
        )

    def role_label(self, role: str) -> str:
        """The printed labels of the cells of one role (the greater side of an order, the parts of a sum)."""
        cells = [c for c in self.f.get("cells") or [] if c.get("role") == role]
        return "、".join(f"「{cell_label(self.schema, c['table'], c['row'], c['col'])}」" for c in cells[:4])

    def role_keys(self, role: str) -> str:
        cells = [c for c in self.f.get("cells") or [] if c.get("role") == role]
        return ", ".join(cell_key(c) for c in cells[:4])


def _other(f: dict) -> str:
    """The file name of the report compared with (last year's, or the other agency's)."""
    return Path(str(f.get("other_source_path") or f.get("prev_source_path") or "")).name


def _across_years(w: _Words) -> tuple[str, str]:
    if w.rule is not None and w.rule.check == "previous_year_at_least":
        zh_rel, en_rel = "应不少于", "at least "
    else:
        zh_rel, en_rel = "应为", ""
    zh = f"跨年度{w.num}（{w.desc}）：本年「{w.where}」为 {w.act}，按上一年度报告{zh_rel} {w.exp}，相差 {w.diff}。"
    en = (
        f"Across years, {w.numen} ({w.name}): this year's {w.key} is {w.act}, but last year's report gives "
        f"{en_rel}{w.exp}; difference {w.diff}."
    )
    return zh, en


def _jump(w: _Words) -> tuple[str, str]:
    zh = f"{w.num}（{w.desc}）：「{w.where}」由上一年度的 {w.exp} 变为 {w.act}。"
    en = f"{w.numen} ({w.name}): {w.key} went from {w.exp} last year to {w.act}."
    return zh, en


def _identical(w: _Words) -> tuple[str, str]:
    other = _other(w.f)
    table = str(w.f.get("table"))
    if w.f.get("scope") == "years":
        zh_whom, en_whom = "上一年度报告", "last year's report"
    else:
        zh_whom = f"同年度另一机关「{w.f.get('other_agency') or '？'}」的报告"
        en_whom = "another agency's report of the same year"
    zh = f"{w.num}（{w.desc}）：{TABLE_NAMES_ZH.get(table, table)}的全部 {w.act} 个数字与{zh_whom}（{other}）完全相同。"
    en = (
        f"{w.numen} ({w.name}): all {w.act} figures of {TABLE_NAMES_EN.get(table, table)} are the same as in "
        f"{en_whom} ({other})."
    )
    return zh, en


def _text_against_table(w: _Words) -> tuple[str, str]:
    zh = f"正文与表格不符（{w.num}）：一、总体情况写的是 {w.act}，表格「{w.where}」为 {w.exp}，相差 {w.diff}。"
    en = (
        f"Text against table ({w.numen}): the overview section states {w.act}, the table's {w.key} holds {w.exp}; "
        f"difference {w.diff}."
    )
    return zh, en


def _sections(w: _Words) -> tuple[str, str]:
    missing = [s for s in str(w.f.get("figure") or "").split("; ") if s]
    names = [s["name"] for s in (w.rule.params.get("sections", []) if w.rule else [])]
    en_names = [
        f"{i + 1} ({SECTION_NAMES_EN[i]})" if i < len(SECTION_NAMES_EN) else str(i + 1)
        for i in (names.index(m) for m in missing if m in names)
    ]
    quoted = "、".join(f"「{m}」" for m in missing)
    zh = f"{w.num}（{w.desc}）：正文中未见{quoted}部分（{w.exp} 个部分中找到 {w.act} 个）。"
    en = f"{w.numen} ({w.name}): no heading for section {', '.join(en_names)} ({w.act} of {w.exp} sections found)."
    return zh, en


def _sum(w: _Words) -> tuple[str, str]:
    zh = f"{w.num}（{w.desc}）：「{w.where}」填报 {w.act}，但其各分项之和为 {w.exp}，相差 {w.diff}。"
    en = f"{w.numen} ({w.name}): {w.key} is {w.act} but its parts add up to {w.exp}; difference {w.diff}."
    return zh, en


def _balance(w: _Words) -> tuple[str, str]:
    line = "列" if w.f.get("col") else "行"
    zh = f"{w.num}（{w.desc}）：「{w.where}」这一{line}，左边合计 {w.exp}，右边合计 {w.act}，相差 {w.diff}。"
    en = (
        f"{w.numen} ({w.name}): on {w.key} the left side adds up to {w.exp} and the right side to {w.act}; "
        f"difference {w.diff}."
    )
    return zh, en


def _order(w: _Words) -> tuple[str, str]:
    zh = f"{w.num}（{w.desc}）：「{w.where}」为 {w.act}，超过了{w.role_label('greater')}的 {w.exp}。"
    en = f"{w.numen} ({w.name}): {w.key} is {w.act}, more than {w.role_keys('greater')} = {w.exp}."
    return zh, en


def _negative(w: _Words) -> tuple[str, str]:
    if w.f.get("expected") is None:  # one value below zero
        zh = f"{w.num}（{w.desc}）：「{w.where}」填报为 {w.act}，不应为负数。"
        en = f"{w.numen} ({w.name}): {w.key} is {w.act}; it cannot be below zero."
    else:  # a sum below zero
        zh = f"{w.num}（{w.desc}）：{w.role_label('parts')}之和为 {w.act}，不应为负数。"
        en = f"{w.numen} ({w.name}): {w.role_keys('parts')} add up to {w.act}, below zero."
    return zh, en


def _non_integer(w: _Words) -> tuple[str, str]:
    zh = f"{w.num}（{w.desc}）：「{w.where}」填报为 {w.act}，应为整数。"
    en = f"{w.numen} ({w.name}): {w.key} is {w.act}; counts are whole numbers."
    return zh, en


def _generic(w: _Words) -> tuple[str, str]:
    zh = f"{w.num}（{w.desc}）：「{w.where}」应为 {w.exp}，实际填报 {w.act}，相差 {w.diff}。"
    en = f"{w.numen} ({w.name}): {w.key} should be {w.exp} but {w.act} is printed; difference {w.diff}."
    return zh, en


_BY_CODE: dict[str, Callable[[_Words], tuple[str, str]]] = {
    "cross-year-mismatch": _across_years,
    "implausible-change": _jump,
    "identical-table": _identical,
    "narrative-mismatch": _text_against_table,
    "section-missing": _sections,
    "sum-mismatch": _sum,
    "balance-mismatch": _balance,
    "order-violation": _order,
    "negative-value": _negative,
    "non-integer-value": _non_integer,
}


def explain(f: dict, rule: Rule | None, schema: Schema) -> tuple[str, str]:
    """One sentence in Chinese and one in English saying what failed, expected and printed, and whether a cell read
    may be a misread."""
    zh, en = _BY_CODE.get(str(f.get("code")), _generic)(_Words.of(f, rule, schema))
    note_zh, note_en = _misread_note(f, schema)
    return zh + note_zh, en + note_en
