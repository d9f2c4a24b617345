"""A page laid out as a WPS export of a requests table: the group label 三、本年度办理结果 printed one character
a line in its own narrow column, its characters at heights of their own, between the lines of the wrapped row
labels beside it (such as （二）部分公开（区分处理的，只计这一情形，不计其他情形）). No ruling lines.

Run: python3 make_wps_vertical_label.py OUT.html, then print OUT.html with headless Chromium:
chromium --headless --no-sandbox --disable-gpu --no-pdf-header-footer --print-to-pdf=wps-vertical-label.pdf OUT.html
"""

import sys

COLS = [40, 90, 340]  # x of: group label, row label, first figure column
FIG_W = 46
ROW_H = 34  # a row's height; a two-line label fills it
LINE = 13  # the labels' line pitch
ROWS = [
    ("一、本年新收政府信息公开申请数量", None, [23, 1, 0, 2, 0, 1, 27]),
    ("二、上年结转政府信息公开申请数量", None, [0, 0, 0, 0, 0, 0, 0]),
    ("（一）予以公开", "g", [7, 1, 0, 0, 0, 0, 8]),
    ("（二）部分公开（区分处理的，只计这一情形，不计其他情形）", "g", [3, 0, 0, 1, 0, 0, 4]),
    ("（三）不予公开", "g", [1, 0, 0, 0, 0, 0, 1]),
    ("（四）无法提供", "g", [9, 0, 0, 1, 0, 1, 11]),
    ("（五）不予处理", "g", [2, 0, 0, 0, 0, 0, 2]),
    ("（六）其他处理", "g", [1, 0, 0, 0, 0, 0, 1]),
    ("（七）总计", "g", [23, 1, 0, 2, 0, 1, 27]),
    ("四、结转下年度继续办理", None, [0, 0, 0, 0, 0, 0, 0]),
]
HEAD = ["自然人", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他", "总计"]


def span(x, y, text, w=None, size=11):
    width = f"width:{w}px;" if w else ""
    style = f"position:absolute;left:{x}px;top:{y}px;{width}font-size:{size}px;line-height:{LINE}px"
    return f'<div style="{style}">{text}</div>'


def page():
    out = [span(40, 20, "平潭综合实验区2019年政府信息公开工作年度报告", size=16)]
    out.append(span(40, 60, "三、收到和处理政府信息公开申请情况", size=13))
    out.append(span(COLS[1], 95, "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）", w=150))
    out.append(span(COLS[2] + 120, 95, "申请人情况"))
    out.append(span(COLS[2] + FIG_W, 115, "法人或其他组织"))
    for k, h in enumerate(HEAD):
        out.append(span(COLS[2] + k * FIG_W, 135, h, w=FIG_W - 4))
    y0 = 170
    group = []
    for r, (label, grp, figs) in enumerate(ROWS):
        y = y0 + r * ROW_H
        out.append(span(COLS[1] if grp else COLS[0], y, label, w=(236 if grp else 290)))
        for k, v in enumerate(figs):
            out.append(span(COLS[2] + k * FIG_W + 10, y, str(v)))
        if grp:
            group.append(y)
    # the group label: one character a line, centred on its rows, at its own pitch (not the rows' lines)
    # (a larger type at a pitch of its own: each character overlaps two lines of the labels beside it)
    chars = "三、本年度办理结果"
    partial = group[1]
    for i, ch in enumerate(chars):
        out.append(span(COLS[1] - 16, partial - 26 + i * 15, ch, size=15))
    return "<html><body style='margin:0'>" + "".join(out) + "</body></html>"


open(sys.argv[1], "w", encoding="utf-8").write(page())
