"""The PDF table finders piece by piece, on small pages built from char boxes and ruling lines in the test.

Needs no corpus: each page is a handful of ``Char``/``HSeg``/``VSeg`` records, in top-down points.
"""

from __future__ import annotations

import copy

from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.extract.pdf import _add_seg, _plumber_rule
from pipeline.extract.pdf_borderless import text_regions, text_tables
from pipeline.extract.pdf_borderless_rows import share_gaps
from pipeline.extract.pdf_layout import (
    Char,
    Grid,
    GridCell,
    HSeg,
    Line,
    VSeg,
    box_of,
    cell_text,
    chars_to_lines,
    cluster_positions,
    in_any,
    join_chars,
    lines_text,
)
from pipeline.extract.pdf_pages import DocumentTables, page_tables
from pipeline.extract.pdf_ruled import MIN_SEG_LEN, ruled_tables
from pipeline.extract.pdf_stitch import stitch

SIZE = 10.0


def chars(text: str, x: float, top: float, size: float = SIZE) -> list[Char]:
    """``text`` printed from ``x`` on the line at ``top``, one square box per char."""
    return [Char(ch, x + i * size, top, x + (i + 1) * size, top + size) for i, ch in enumerate(text)]


def texts(grid: Grid) -> dict[tuple[int, int], tuple[int, int, str]]:
    """(row, col) -> (rowspan, colspan, text) of every cell."""
    return {(c.row, c.col): (c.rowspan, c.colspan, cell_text(c)) for c in grid.cells}


def ruled_page(
    xs: list[float], ys: list[float], rows: list[list[str]], skip_h: tuple[float, ...] = ()
) -> tuple[list[Char], list[HSeg], list[VSeg]]:
    """A ruled table: vertical rules at ``xs``, horizontal rules at ``ys`` (except ``skip_h``), one text per cell."""
    hs = [HSeg(y, xs[0], xs[-1]) for y in ys if y not in skip_h]
    vs = [VSeg(x, ys[0], ys[-1]) for x in xs]
    cs = [ch for r, row in enumerate(rows) for k, t in enumerate(row) for ch in chars(t, xs[k] + 2, ys[r] + 2)]
    return cs, hs, vs


# ---- pdf_layout: lines, text, geometry


def test_chars_to_lines_orders_lines_and_chars_whatever_the_input_order():
    cs = chars("第二行", 50, 120) + chars("第一行", 50, 100)
    lines = chars_to_lines(list(reversed(cs)))
    assert [ln.text() for ln in lines] == ["第一行", "第二行"]
    assert lines[0].top == 100 and lines[0].bottom == 110 and lines[0].x0 == 50 and lines[0].x1 == 80


def test_chars_offset_by_less_than_half_their_height_share_a_line():
    a = Char("a", 50, 100, 60, 110)
    assert [ln.text() for ln in chars_to_lines([a, Char("b", 60, 104, 70, 114)])] == ["ab"]  # 6 of 10 points overlap
    assert len(chars_to_lines([a, Char("c", 70, 106, 80, 116)])) == 2  # 4 of 10


def test_join_chars_puts_a_space_only_in_a_wide_gap():
    near = chars("ab", 0, 0)
    far = chars("c", 20 + 0.3 * SIZE, 0)  # gap of 0.3 line heights: more than SPACE_GAP
    assert join_chars(near + far) == "ab c"
    assert join_chars(chars("abc", 0, 0)) == "abc"


def test_cluster_positions_averages_values_within_the_tolerance():
    assert cluster_positions([10.0, 1.0, 2.5, 11.0], 2.0) == [1.75, 10.5]
    assert cluster_positions([], 2.0) == []


def test_box_of_and_in_any():
    cs = chars("表", 10, 20) + chars("格", 40, 30)
    assert box_of(cs) == (10, 20, 50, 40)
    assert in_any(Char("x", 10, 20, 12, 22), [(0, 0, 15, 25)])
    assert not in_any(Char("x", 14, 24, 18, 28), [(0, 0, 15, 25)])  # its centre (16, 26) lies outside


# ---- pdf_ruled: ruling lines to grids


def test_ruled_grid_records_its_rules_and_cell_texts():
    cs, hs, vs = ruled_page([50, 150, 250], [100, 120, 140], [["项目", "数量"], ["申请", "12"]])
    (grid,) = ruled_tables(cs, hs, vs)
    assert grid.kind == "ruled" and (grid.n_rows, grid.n_cols) == (2, 2)
    assert grid.xs == [50, 150, 250] and grid.ys == [100, 120, 140]
    assert not grid.open_top and not grid.open_bottom
    assert texts(grid) == {(0, 0): (1, 1, "项目"), (0, 1): (1, 1, "数量"), (1, 0): (1, 1, "申请"), (1, 1): (1, 1, "12")}


def test_no_rule_between_two_bands_makes_one_merged_cell():
    cs, hs, _ = ruled_page([50, 150, 250], [100, 120, 140], [["标题"], ["申请", "12"]])
    vs = [VSeg(50, 100, 140), VSeg(250, 100, 140), VSeg(150, 120, 140)]  # the middle rule starts at the second row
    (grid,) = ruled_tables(cs, hs, vs)
    assert texts(grid)[(0, 0)] == (1, 2, "标题") and (0, 1) not in texts(grid)


def test_missing_outer_rule_marks_an_open_edge():
    cs, hs, vs = ruled_page([50, 150, 250], [100, 120, 140], [["甲", "乙"], ["丙", "丁"]], skip_h=(140,))
    (grid,) = ruled_tables(cs, hs, vs)
    assert grid.open_bottom and not grid.open_top


def test_short_path_pieces_are_not_rules_and_separate_networks_are_separate_tables():
    stubs = [HSeg(100, 50, 50 + MIN_SEG_LEN / 2), HSeg(110, 50, 50 + MIN_SEG_LEN / 2)]
    assert ruled_tables([], stubs, [VSeg(50, 100, 110), VSeg(51, 100, 110)]) == []
    low = ruled_page([50, 150], [300, 320, 340], [["下"], ["表"]])
    high = ruled_page([50, 150], [100, 120, 140], [["上"], ["表"]])
    grids = ruled_tables(low[0] + high[0], low[1] + high[1], low[2] + high[2])
    assert [texts(g)[(0, 0)][2] for g in grids] == ["上", "下"]  # top to bottom


# ---- pdf_stitch: tables continued over a page break


def test_ruled_pieces_sharing_their_outer_rules_are_one_table_with_merged_columns():
    first = ruled_tables(*ruled_page([50, 250], [100, 120, 140], [["标题"], ["合计"]]))[0]
    second = ruled_tables(*ruled_page([50, 150, 250], [50, 70], [["1", "2"]]))[0]
    joined = stitch(first, second)
    assert joined is not None and joined.kind == "ruled" and joined.xs == [50, 150, 250]
    assert texts(joined) == {
        (0, 0): (1, 2, "标题"),
        (1, 0): (1, 2, "合计"),
        (2, 0): (1, 1, "1"),
        (2, 1): (1, 1, "2"),
    }


def test_pieces_of_other_widths_or_kinds_are_not_stitched():
    ruled = ruled_tables(*ruled_page([50, 250], [100, 120, 140], [["甲"], ["乙"]]))[0]
    wider = ruled_tables(*ruled_page([50, 300], [50, 70, 90], [["丙"], ["丁"]]))[0]
    assert stitch(ruled, wider) is None
    text = Grid(1, 1, [GridCell(0, 0, 1, 1, (50, 50, 250, 60))], (50, 50, 250, 60), kind="text", xs=[50, 250])
    assert stitch(ruled, text) is None and stitch(text, ruled) is None


def borderless(rows: list[tuple[str, list[str]]], top: float = 100) -> list[Char]:
    """A borderless table: a label at x 50 and values from x 200 every 60 points, one line per row."""
    out = []
    for i, (label, values) in enumerate(rows):
        y = top + i * 14
        out += chars(label, 50, y)
        for k, v in enumerate(values):
            out += chars(v, 200 + 60 * k, y)
    return out


def test_borderless_pieces_are_stitched_by_where_their_text_lies():
    (first,), _ = text_tables(chars_to_lines(borderless([("申请数", ["1", "2"]), ("办结数", ["3", "4"])])))
    (second,), _ = text_tables(chars_to_lines(borderless([("结转数", ["5", "6"]), ("其他", ["7", "8"])], top=50)))
    joined = stitch(first, second)
    assert joined is not None and joined.kind == "text" and (joined.n_rows, joined.n_cols) == (4, 3)
    assert [texts(joined)[(r, 0)][2] for r in range(4)] == ["申请数", "办结数", "结转数", "其他"]
    assert texts(joined)[(3, 2)][2] == "8"
    # text of the second piece beyond the first piece's width: not one table
    (wide,), _ = text_tables(chars_to_lines(borderless([("结转数", ["5", "6", "7"]), ("其他", ["7", "8", "9"])])))
    narrow = Grid(first.n_rows, first.n_cols, first.cells, first.bbox, kind="text", xs=first.xs)
    assert stitch(narrow, wide) is not None  # the wider piece's columns are used
    far = [Char(c.text, c.x0 + 400, c.top, c.x1 + 400, c.bottom) for c in borderless([("其他", ["7", "8"])] * 2)]
    (moved,), _ = text_tables(chars_to_lines(far))
    assert stitch(first, moved) is None


# ---- pdf_borderless: regions, columns, rows, group labels


def test_text_region_takes_a_close_caption_and_leaves_a_far_paragraph():
    caption = chars("表一", 50, 86)
    table = borderless([("申请数", ["1", "2"]), ("办结数", ["3", "4"])])
    paragraph = chars("正文段落。", 50, 200)
    lines = chars_to_lines(caption + table + paragraph)
    assert text_regions(lines) == [(0, 2)]
    grids, used = text_tables(lines)
    assert used == [0, 1, 2] and grids[0].bbox[1] == 86


def test_a_single_line_of_cells_is_not_a_table():
    assert text_regions(chars_to_lines(borderless([("申请数", ["1", "2"])]))) == []


def test_borderless_grid_has_a_cell_at_every_position():
    (grid,), _ = text_tables(chars_to_lines(borderless([("申请数", ["1", "", "3"]), ("办结数", ["4", "5", "6"])])))
    assert grid.kind == "text" and len(grid.xs) == grid.n_cols + 1
    positions = {
        (r, k) for c in grid.cells for r in range(c.row, c.row + c.rowspan) for k in range(c.col, c.col + c.colspan)
    }
    assert positions == {(r, k) for r in range(grid.n_rows) for k in range(grid.n_cols)}
    assert texts(grid)[(0, 2)] == (1, 1, "")  # the blank value keeps its cell


def test_group_label_spans_the_rows_it_heads():
    out = chars("（一）甲类", 10, 107)  # a group label centred on its two rows
    for i, (label, value) in enumerate((("条目一", "3"), ("条目二", "4"))):
        out += chars(label, 80, 100 + 14 * i) + chars(value, 200, 100 + 14 * i) + chars(value, 260, 100 + 14 * i)
    (grid,), _ = text_tables(chars_to_lines(out))
    cells = {t: (r, k, rs) for (r, k), (rs, _, t) in texts(grid).items()}
    assert cells["（一）甲类"] == (0, 0, 2)
    assert cells["条目一"][0] == 0 and cells["条目二"][0] == 1


def test_wrapped_label_goes_to_the_value_row_it_is_centred_on():
    out = chars("本年新收政府", 50, 100) + chars("信息公开申请", 50, 112) + chars("数量合计", 50, 124)
    out += chars("7", 200, 112) + chars("8", 260, 112)
    out += chars("其他", 50, 140) + chars("1", 200, 140) + chars("2", 260, 140)
    (grid,), _ = text_tables(chars_to_lines(out))
    assert grid.n_rows == 2
    assert texts(grid)[(0, 0)][2] == "本年新收政府\n信息公开申请\n数量合计"
    assert texts(grid)[(0, 1)][2] == "7" and texts(grid)[(1, 0)][2] == "其他"


def test_share_gaps_gives_each_element_to_the_cheaper_item():
    # two items, three elements between them: item 0 wants 1 below, item 1 wants the other 2 above
    def cost(i, up, down):
        return abs(down - 1) if i == 0 else abs(up - 2)

    assert share_gaps(2, [0, 3, 0], cost, optional_ends=False) == [(0, 1), (2, 0)]
    # optional outer gaps: taken unless taking costs more than leaving (one point per element left)
    assert share_gaps(1, [2, 0], lambda i, up, down: 0.0, optional_ends=True) == [(2, 0)]
    assert share_gaps(1, [2, 0], lambda i, up, down: 5.0 * up, optional_ends=True) == [(0, 0)]


# ---- pdf: rules from paths, tables over page breaks


def test_straight_path_pieces_become_rules_in_top_down_coordinates():
    hs: list[HSeg] = []
    vs: list[VSeg] = []
    _add_seg((10, 700), (90, 700.2), 800, hs, vs)  # horizontal within half a point
    _add_seg((10, 700), (10, 600), 800, hs, vs)
    _add_seg((10, 700), (90, 600), 800, hs, vs)  # diagonal: no rule
    _add_seg((10, 700), (10.5, 700), 800, hs, vs)  # a dot
    assert hs == [HSeg(100, 10, 90)] and vs == [VSeg(10, 100, 200)]


def test_pdfplumber_rects_thin_ones_are_rules_stroked_boxes_give_four_and_fills_none():
    hs: list[HSeg] = []
    vs: list[VSeg] = []
    _plumber_rule({"x0": 10, "x1": 90, "top": 99, "bottom": 101, "object_type": "rect"}, hs, vs)
    assert hs == [HSeg(100, 10, 90)] and vs == []
    _plumber_rule({"x0": 10, "x1": 90, "top": 50, "bottom": 80, "object_type": "rect", "stroke": False}, hs, vs)
    assert len(hs) == 1 and vs == []
    _plumber_rule({"x0": 10, "x1": 90, "top": 50, "bottom": 80, "object_type": "rect", "stroke": True}, hs, vs)
    assert hs[1:] == [HSeg(50, 10, 90), HSeg(80, 10, 90)] and vs == [VSeg(10, 50, 80), VSeg(90, 50, 80)]


def test_a_table_at_the_foot_of_a_page_continues_at_the_head_of_the_next():
    def page(top: float, rows: list[list[str]], above: str = "", below: str = ""):
        ys = [top + 20 * i for i in range(len(rows) + 1)]
        cs, hs, vs = ruled_page([50, 150, 250], ys, rows)
        cs += chars(above, 50, top - 30) + chars(below, 50, ys[-1] + 20)
        return page_tables(cs, hs, vs)

    tables = DocumentTables()
    tables.add_page(1, *page(600, [["项目", "数量"], ["申请", "1"]], above="标题", below="第1页"))
    assert tables.open_end  # only a page number below it
    tables.add_page(2, *page(60, [["办结", "2"]]))
    assert len(tables.grids) == 1 and tables.grids[0].n_rows == 3
    assert {c.page for c in tables.grids[0].cells} == {1, 2}
    # a paragraph of text between the page head and the next table: a new table
    tables.add_page(3, *page(300, [["其他", "3"]], above="这一段正文在表格之前，不是页眉。"))
    assert len(tables.grids) == 2


def test_line_properties():
    ln = Line(chars("表格", 10, 20), 20, 30)
    assert (ln.h, ln.mid, ln.text()) == (10, 25, "表格")


# ---- two tables in one grid, a cut row's overflow, vertical text


def test_a_change_of_header_inside_a_grid_starts_a_new_table():
    # the requests table's last rows, and touching it the appeals table, whose header draws borders of its own
    hs = [HSeg(y, 50, 350) for y in (100, 120, 140, 160, 180, 200)]
    vs = [VSeg(x, 100, 160) for x in (50, 150, 250, 350)] + [VSeg(x, 160, 200) for x in (50, 110, 200, 350)]
    top = [["（七）总计", "1", "2"], ["四、结转", "3", "4"], ["第二十条", "", ""]]
    bottom = [["复议", "诉讼", "合计"], ["5", "6", "7"]]
    cs = [
        ch
        for r, row in enumerate(top)
        for k, t in enumerate(row)
        for ch in chars(t, (50, 150, 250)[k] + 2, 102 + 20 * r)
    ]
    cs += [
        ch
        for r, row in enumerate(bottom)
        for k, t in enumerate(row)
        for ch in chars(t, (50, 110, 200)[k] + 2, 162 + 20 * r)
    ]
    grids, _ = page_tables(cs, hs, vs)
    assert [(g.n_rows, g.n_cols) for g in grids] == [(3, 3), (2, 3)]
    assert texts(grids[1])[(0, 0)] == (1, 1, "复议") and grids[1].xs == [50, 110, 200, 350]
    # a row without figures that keeps the borders above (a caption over the next block) stays in its table
    assert texts(grids[0])[(2, 0)] == (1, 1, "第二十条")


def test_a_stitched_table_runs_to_the_foot_only_if_its_last_piece_does():
    def page(top: float, rows: list[list[str]], below: str = ""):
        ys = [top + 20 * i for i in range(len(rows) + 1)]
        cs, hs, vs = ruled_page([50, 150, 250], ys, rows)
        return page_tables(cs + chars(below, 50, ys[-1] + 20), hs, vs)

    tables = DocumentTables()
    tables.add_page(1, *page(600, [["项目", "数量"], ["申请", "1"]]))
    # the continuation, high on its page, with the next section's heading under it: the table ends there
    tables.add_page(2, *page(60, [["办结", "2"]], below="四、政府信息公开行政复议情况"))
    assert len(tables.grids) == 1 and not tables.open_end
    tables.add_page(3, *page(40, [["维持", "3"]]))
    assert len(tables.grids) == 2


def test_text_printed_under_a_table_cut_by_the_page_break_goes_to_its_last_row():
    cs, hs, vs = ruled_page([50, 100, 150, 300], [700, 720, 740], [["复议", "诉讼", "起诉方式"], ["结", "结", ""]])
    cs += chars("维", 52, 742) + chars("纠", 102, 742) + chars("持", 52, 752) + chars("正", 102, 752)
    cs += chars("五、存在的主要问题", 40, 800)  # running text further down crosses the borders: not the row's
    grids, lines = page_tables(cs, hs, vs)
    assert len(grids) == 1 and texts(grids[0])[(1, 0)] == (1, 1, "结\n维\n持")
    assert [ln.text() for ln in lines] == ["五、存在的主要问题"]


def test_vertical_text_out_of_step_with_the_labels_beside_it_does_not_glue_their_lines():
    # row labels wrapped over two lines at a 13-point pitch; beside them, touching, a group label in larger type
    # at a pitch of its own: each of its chars overlaps both lines
    cs = chars("（二）部分公开", 60, 100) + chars("不计其他", 60, 113) + chars("3", 200, 100)
    cs += [Char(ch, 45, 104 + 15 * i, 59, 119 + 15 * i) for i, ch in enumerate("本年度")]
    glued = [Char(c.text, c.x0, c.top, c.x1, c.bottom) for c in cs]
    lines = chars_to_lines(cs)
    assert [ln.text() for ln in lines] == ["本 （二）部分公开 3", "年 不计其他", "度"]
    # a column of two is too short to be told apart: the two label lines glued into one, interleaved, as before
    assert chars_to_lines(glued[:-1])[0].text() == "本（不二计）其部他分公开 3"
    assert all(ch.upright for ln in lines for ch in ln.chars if ch.text in "本年度")
    # the chars of a paragraph stacked in columns sit on their lines: not vertical text
    para = chars("政府信息公开", 50, 300) + chars("工作年度报告", 50, 312) + chars("全年共收到申", 50, 324)
    assert [ln.text() for ln in chars_to_lines(para)] == ["政府信息公开", "工作年度报告", "全年共收到申"]
    assert not any(ch.upright for ch in para)


_GLYPHS = st.sampled_from(list("一二三四五公开申请件数0123456789（）"))


@st.composite
def _cell_chars(draw) -> list[Char]:
    """A cell's chars in any order, their tops within a spread drawn for the cell: one line (tops and heights a
    little apart, as fonts print them), lines overlapping by more or less, or lines one under another (vertical text
    among them)."""
    spread, tall = draw(st.floats(0, 30)), draw(st.floats(4, 12))
    out = []
    for _ in range(draw(st.integers(1, 12))):
        top, h, x = draw(st.floats(0, spread)), draw(st.floats(tall * 0.8, tall)), draw(st.floats(0, 120))
        out.append(Char(draw(_GLYPHS), x, top, x + draw(st.floats(2, 12)), top + h))
    return out


@settings(max_examples=300)
@given(_cell_chars())
def test_a_cells_text_is_its_lines_text_with_or_without_the_one_line_shortcut(cs):
    expected = lines_text(chars_to_lines(copy.deepcopy(cs)))
    assert cell_text(GridCell(0, 0, 1, 1, (0, 0, 1, 1), copy.deepcopy(cs))) == expected
