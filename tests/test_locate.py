"""Locating the statistics tables among a document's tables, on tables built in the test."""

from grids import APPEALS_HEADER, REQUESTS_HEADER, document, raw_table

from pipeline.locate import MIN_LABEL_HITS, locate, table_kind, vocabulary

SEVEN = list("1234567")


def _requests(index=0, rows=2):
    body = [["", "", "一、本年新收政府信息公开申请数量", *SEVEN], ["", "", "（一）予以公开", *SEVEN]][:rows]
    return raw_table([*REQUESTS_HEADER, *body], index=index)


def _appeals(index=1):
    return raw_table([*APPEALS_HEADER, [str(i) for i in range(15)]], index=index)


def test_vocabulary_holds_every_label_once(schema):
    spec = schema.tables["requests"]
    vocab = vocabulary(spec)
    assert len(vocab) == len(set(vocab))
    assert {spec.title, "自然人", "社会公益", "（三）不予公开", "1.属于国家秘密", "（七）合计"} <= set(vocab)


def test_a_table_is_the_kind_whose_labels_it_shows_most(schema):
    kind, hits = table_kind(_requests(), schema)
    assert kind == "requests" and hits >= MIN_LABEL_HITS
    assert table_kind(_appeals(), schema)[0] == "appeals"


def test_figures_and_a_lone_label_do_not_make_a_statistics_table(schema):
    assert table_kind(raw_table([["姓名", "电话"], ["张三", "12345"]]), schema) == (None, 0)
    assert table_kind(raw_table([["自然人", "5", "6", "7"]]), schema) == (None, 1)  # one label: below the floor
    assert table_kind(raw_table([["1", "2"], ["3", "0"]]), schema) == (None, 0)


def test_consecutive_tables_of_one_kind_are_one_table_in_pieces(schema):
    first, cut = _requests(index=0), raw_table([["", "", "（二）部分公开", *SEVEN], ["", "", "（七）总计", *SEVEN]], 1)
    found, issues = locate(document(first, cut, _appeals(index=2)), schema)
    assert [t.index for t in found["requests"].pieces] == [0, 1]
    assert [t.index for t in found["appeals"].pieces] == [2]
    assert issues == []


def test_a_second_table_of_a_kind_is_reported_not_read(schema):
    other = raw_table([["联系人", "电话"], ["张三", "12345"]], index=1)
    found, issues = locate(document(_requests(index=0), other, _requests(index=2)), schema)
    assert [t.index for t in found["requests"].pieces] == [0]  # the unrelated table ends the first run
    (issue,) = issues
    assert (issue.code, issue.table, issue.table_index) == ("extra-table", "requests", 2)


def test_no_statistics_table_locates_nothing(schema):
    assert locate(document(raw_table([["姓名"], ["张三"]])), schema) == ({}, [])
