"""Small tables built in a test from rows of cell texts (``model.Cell``/``RawTable``), for unit tests of the stages
after extraction: no file, no extractor, no corpus."""

from __future__ import annotations

from pipeline.locate import LocatedTable
from pipeline.model import Cell, Document, Format, Origin, RawTable


def raw_table(rows: list[list[str]], index: int = 0, page: int | None = None) -> RawTable:
    """A table whose cells are the given texts, one grid position each ("" is a blank cell)."""
    cells = tuple(Cell(text, r, c, page=page) for r, row in enumerate(rows) for c, text in enumerate(row))
    return RawTable(index, cells, len(rows), max(map(len, rows), default=0), page)


def document(*tables: RawTable, paragraphs: tuple[str, ...] = ()) -> Document:
    return Document(Origin("test.docx", "0" * 64, Format.DOCX), tables, paragraphs)


def located(kind: str, *tables: RawTable) -> LocatedTable:
    return LocatedTable(kind, tables, hits=0)


# the requests table's (表三) header as the official template prints it; a merged cell is repeated at each position
NOTE = "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"
REQUESTS_HEADER = [
    [NOTE] * 3 + ["申请人情况"] * 7,
    [NOTE] * 3 + ["自然人"] + ["法人或其他组织"] * 5 + ["总计"],
    [NOTE] * 3 + ["自然人", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他", "总计"],
]
REQUEST_COLUMNS = ["natural_person", "commercial", "research", "nonprofit", "legal_services", "other_org", "total"]
# 表四: three header rows over one unlabelled row of 15 figures
APPEALS_HEADER = [
    ["行政复议"] * 5 + ["行政诉讼"] * 10,
    [""] * 5 + ["未经复议直接起诉"] * 5 + ["复议后起诉"] * 5,
    ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"] * 3,
]
