"""The steps of matching, on tables built in the test: row kinds, headers, the template vote and the year's
template, the appeals table taking the report's template, and values placed by header, by position or not at all."""

from grids import APPEALS_HEADER, REQUEST_COLUMNS, REQUESTS_HEADER, located, raw_table

from pipeline.match import RowKind, match_tables, read_header, report_template, row_kind, table_rows

SEVEN = list("1234567")
NEW = ["", "", "一、本年新收政府信息公开申请数量", *SEVEN]
# a row only the 2021 template prints: its label tells the template
NO_CORRECTION = [
    "三、本年度办理结果",
    "（六）其他处理",
    "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
    *SEVEN,
]
APPEALS = raw_table([*APPEALS_HEADER, [str(i) for i in range(15)]], index=1)


def _match(schema, year, **tables):
    return match_tables({kind: located(kind, t) for kind, t in tables.items()}, schema.tables, year)


def test_row_kinds(schema):
    spec = schema.tables["requests"]
    rows = table_rows(raw_table([*REQUESTS_HEADER, NEW, ["", "", "", *[""] * 7], ["", "", "（七）总计", *SEVEN]]))
    kinds = [row_kind(spec, r) for r in rows]
    assert kinds == [RowKind.HEADER] * 3 + [RowKind.DATA, RowKind.EMPTY, RowKind.DATA]

    def kind(*texts):
        return row_kind(spec, table_rows(raw_table([list(texts)]))[0])

    assert kind("自然人") is RowKind.HEADER
    # 总计 is both a column and a row (（七）总计): alone, it is the row; with another heading, the header
    assert kind("总计") is RowKind.DATA
    assert kind("自然人", "总计") is RowKind.HEADER


def test_a_stacked_header_names_every_column(schema):
    table = raw_table([*REQUESTS_HEADER, NEW])
    header = read_header(schema.tables["requests"], table_rows(table)[:3], table.n_cols)
    assert {j: k.key for j, k in header.cols.items()} == dict(enumerate(REQUEST_COLUMNS, start=3))
    assert header.value_start == 3  # the note's three columns hold labels


def test_labels_decide_the_template_and_the_appeals_table_follows_it(schema):
    matched = _match(schema, 2019, requests=raw_table([*REQUESTS_HEADER, NEW, NO_CORRECTION]), appeals=APPEALS)
    assert matched["requests"].template == "2021"  # the year says 2019, the labels say 2021
    assert matched["appeals"].template == "2021"  # not the year's: the report's
    assert report_template(matched, schema.tables) == "2021"
    assert matched["requests"].issues == [] and matched["appeals"].issues == []
    values = {(v.row, v.col): v.raw for v in matched["appeals"].values}
    assert values[("cases", "review.upheld")] == "0" and values[("cases", "suit_after_review.total")] == "14"


def test_without_other_tables_the_appeals_table_reads_the_years_template_quietly(schema):
    (appeals,) = _match(schema, 2020, appeals=APPEALS).values()
    assert appeals.template == "2019" and appeals.issues == []  # the templates' first years: 2019, 2021
    assert _match(schema, 2022, appeals=APPEALS)["appeals"].template == "2021"


def test_when_labels_do_not_tell_the_year_does_and_says_so(schema):
    for year, template in ((2018, "2019"), (2020, "2019"), (2021, "2021")):
        (requests,) = _match(schema, year, requests=raw_table([*REQUESTS_HEADER, NEW])).values()
        assert requests.template == template
        assert [i.code for i in requests.issues] == ["template-from-year"]
        assert f"year {year} gives {template}" in requests.issues[0].message


def test_values_go_under_the_header_keys(schema):
    (requests,) = _match(schema, 2021, requests=raw_table([*REQUESTS_HEADER, NEW])).values()
    assert [(v.row, v.col, v.raw, v.col_index) for v in requests.values] == [
        ("new", key, str(i), 2 + i) for i, key in enumerate(REQUEST_COLUMNS, start=1)
    ]


def test_without_a_header_a_full_row_is_placed_by_position_and_said_so(schema):
    (requests,) = _match(schema, 2021, requests=raw_table([NEW, NO_CORRECTION])).values()
    assert {v.col for v in requests.values if v.row == "new"} == set(REQUEST_COLUMNS)
    assert [i.code for i in requests.issues] == ["matched-by-position", "matched-by-position"]


def test_a_short_row_without_a_header_is_reported_cell_by_cell(schema):
    short = ["", "", "一、本年新收政府信息公开申请数量", "3", "", "4"]
    (requests,) = _match(schema, 2021, requests=raw_table([short, NO_CORRECTION])).values()
    assert not [v for v in requests.values if v.row == "new"]
    unplaced = [i for i in requests.issues if i.code == "unmatched-column"]
    assert [(i.raw, i.row_index, i.col_index) for i in unplaced] == [("3", 0, 3), ("4", 0, 5)]


def test_unmatched_and_duplicate_rows_keep_their_raw_text(schema):
    rows = [*REQUESTS_HEADER, NEW, ["", "", "某某不相干的统计项目", "5", *[""] * 6], NEW]
    (requests,) = _match(schema, 2021, requests=raw_table(rows)).values()
    assert [(i.code, i.raw, i.row_index) for i in requests.issues if i.code != "template-from-year"] == [
        ("unmatched-row", "5", 4),
        *[("duplicate-row", v, 5) for v in SEVEN],
    ]
    assert requests.rows_matched == {"new": 100.0}
