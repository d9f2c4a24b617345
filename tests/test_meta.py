"""Agency and year from a report's title lines (either order, broken over two lines), else the year from the file
name; a title that names no agency leaves it unknown rather than guessing."""

import pytest

from pipeline.meta import agency_year
from pipeline.text import TITLE_LINES

AGENCY = "淮安市人民政府"


@pytest.mark.parametrize(
    "title,paragraphs",
    [
        (f"{AGENCY}2024年政府信息公开工作年度报告", []),  # the format's own title (HTML <title>)
        (None, [f"{AGENCY}2024年政府信息公开工作年度报告"]),
        (None, [f"2024年{AGENCY}政府信息公开工作年度报告"]),  # year first
        (None, [f"{AGENCY} 2024 年度政府信息公开工作年度報告"]),  # spaces, 年度, a traditional 報
        (None, [f"关于{AGENCY}2024年政府信息公开工作年度报告"]),  # 关于 is no part of the agency
        (None, [AGENCY, "2024年政府信息公开工作年度报告"]),  # a title broken over two lines
        ("网站首页", ["", f"{AGENCY}2024年政府信息公开工作年度报告"]),  # a page title that is not the report's
    ],
)
def test_agency_and_year_from_the_title(title, paragraphs):
    assert agency_year(title, paragraphs, "any/2019-name.docx") == (AGENCY, 2024, "title")


def test_a_title_without_the_agency_falls_back_to_the_file_name_for_the_year():
    assert agency_year(None, ["2024年政府信息公开工作年度报告"], "reports/2023-foo.docx") == (None, 2023, "filename")


def test_nothing_found_is_unknown_not_guessed():
    assert agency_year(None, ["一、总体情况", "本年度……"], "reports/foo.docx") == (None, None, "filename")
    assert agency_year(None, [], "reports/12345.docx") == (None, None, "filename")  # not a year: five digits


def test_the_title_is_looked_for_in_the_first_lines_only():
    late = [""] * TITLE_LINES + [f"{AGENCY}2024年政府信息公开工作年度报告"]
    assert agency_year(None, late, "x.pdf") == (None, None, "filename")
    assert agency_year(None, late[1:], "x.pdf") == (AGENCY, 2024, "title")


def test_a_title_without_a_year_names_the_agency_and_the_file_name_the_year():
    # the real 秀洲区 report's heading
    title = ["秀洲区应急管理局政府信息公开工作年度报告", "一、总体情况"]
    assert agency_year(None, title, "seed-2019-xiuzhou.txt") == ("秀洲区应急管理局", 2019, "title+filename")
    assert agency_year(None, title, "report.txt") == ("秀洲区应急管理局", None, "title+filename")
    # only a line that is the title and nothing more
    text = ["我局认真编制了秀洲区应急管理局政府信息公开工作年度报告"]
    assert agency_year(None, ["一、总体情况", title[0]], "x.txt") == (None, None, "filename")
    assert agency_year(None, text, "x.txt") == (None, None, "filename")
    assert agency_year(None, ["政府信息公开工作年度报告"], "x.txt") == (None, None, "filename")


@pytest.mark.parametrize(
    "line,agency",
    [
        # a note in brackets with a comma in it belongs to the name (it was read as "尼勒克县)")
        (
            "镇人民政府（名称未在摘录中出现，尼勒克县）2023年政府信息公开工作年度报告",
            "镇人民政府(名称未在摘录中出现,尼勒克县)",
        ),
        ("淮安市人民政府（市政务公开办）2023年政府信息公开工作年度报告", "淮安市人民政府(市政务公开办)"),
        ("尼勒克县）2023年政府信息公开工作年度报告", "尼勒克县"),  # a bracket closed that nothing opened
    ],
)
def test_a_bracketed_note_stays_whole_in_the_agency(line, agency):
    assert agency_year(None, [line], "x.docx") == (agency, 2023, "title")


def test_a_title_broken_inside_its_bracket_is_read_joined():
    lines = ["镇人民政府（名称未在摘录中出现，尼勒克", "县）2023年政府信息公开工作年度报告"]  # as a PDF wraps it
    assert agency_year(None, lines, "x.pdf") == ("镇人民政府(名称未在摘录中出现,尼勒克县)", 2023, "title")
