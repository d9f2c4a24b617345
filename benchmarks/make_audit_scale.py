"""Make N distinct report web pages from the corpus's, for the audit at scale (issue 16).

Each page is a corpus web page (``corpus/html``) with the agency renamed (a made-up name under a real province, so
that places and the by-province summary have something to count), the year in the title set, and every figure of
its tables (and every "N件" of its text) multiplied by a whole factor: sums, balances and year-to-year links still
hold, but no two agencies print the same tables unless made to. On purpose, some pages:

- break a rule (one figure of a table raised by 1);
- follow their agency's earlier years (the three 平潭 years renamed together: the cross-year links hold);
- repeat last year's tables with only the year changed (copy-paste: flagged by the copy rule);
- print the same tables as another agency the same year (flagged by the peer rule).

Usage: ``python benchmarks/make_audit_scale.py OUT_DIR [--n 2000]``. Deterministic: the same N gives the same files.
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from pathlib import Path

CORPUS_HTML = Path(__file__).resolve().parents[2].parent / "shared" / "corpus" / "html"
CORPUS_HTML = CORPUS_HTML if CORPUS_HTML.exists() else Path("/work/shared/corpus/html")

# a province (and city) prefix for each corpus page, so the made-up agencies have a place
PREFIX = {
    "beijing": "北京市通州区",
    "fujian": "福建省平潭县",
    "jiangsu": "江苏省无锡市锡山区",
    "shanghai": "上海市",
    "guangdong": "广东省广州市荔湾区",
    "hubei": "湖北省武汉市黄陂区",
    "shaanxi": "陕西省榆林市",
    "hebei": "河北省石家庄市桥西区",
    "zhejiang": "浙江省温州市洞头区",
    "hunan": "湖南省益阳市桃江县",
    "jilin": "吉林省长春市",
    "xinjiang": "新疆维吾尔自治区伊犁哈萨克自治州尼勒克县",
    "seed": "浙江省嘉兴市秀洲区",
    "syn2019a": "内蒙古自治区包头市青山区",
    "syn2019c": "海南省白沙黎族自治县",
    "syn2021b": "吉林省白山市临江市",
}
# four disjoint alphabets of 31 characters (one per place of a code), none a place or agency word
CODE_CHARS = (
    "春夏秋冬梅竹菊松柏桃李杏梨枣桑榆柳杨枫荷莲芝风雨雪霜露雷电虹霞",
    "雾川河湖海溪泉石玉珠宝银铜铁锦绣琴棋书画诗词歌赋龙虎凤鹤鹰燕雁",
    "鹿马牛羊犬鸡鸭鱼龟红橙黄绿青蓝紫白黑灰前后左右高长远近古明亮静",
    "安和顺福寿喜乐康宁吉祥如意富贵荣华甲乙丙丁戊己庚辛壬癸子丑寅卯",
)
P = 31  # a prime: codes are the values of a line over GF(31) at four points
_TITLE = re.compile(r"<title>(.*?)(\d{4})年政府信息公开工作年度报告")
_TABLE = re.compile(r"<table.*?</table>", re.S)
_CELL_NUMBER = re.compile(r"(>\s*)(\d+(?:\.\d+)?)(\s*<)")
_TEXT_COUNT = re.compile(r"(\d+)(件|起)")


def code(k: int) -> str:
    """Four characters for k < 961. Two codes share at most one character (two lines meet at most once, and each
    place has its own alphabet), so two names that differ only in their code never link as one agency."""
    a, b = k % P, k // P
    if b >= P:
        raise ValueError(f"code {k}: only {P * P} codes")
    return "".join(CODE_CHARS[x][(a + b * x) % P] for x in range(4))


def prefix(stem: str) -> str:
    return next((p for key, p in PREFIX.items() if key in stem), "")


def agency_year(page: str) -> tuple[str, int]:
    m = _TITLE.search(page)
    if m is None:
        raise ValueError("no title of the form <agency><year>年政府信息公开工作年度报告")
    return m.group(1), int(m.group(2))


def _scale_number(text: str, factor: int) -> str:
    if "." in text:
        return f"{float(text) * factor:.2f}"
    return str(int(text) * factor)


def transform(page: str, agency: str, year: int, factor: int, bump: int | None, tag: str) -> str:
    """The page renamed, its year set, its figures multiplied; ``bump``: the index of a table figure raised by 1."""
    old_agency, old_year = agency_year(page)
    n = 0

    def td(m: re.Match) -> str:
        nonlocal n
        value = _scale_number(m.group(2), factor)
        if bump is not None and n == bump:
            value = str(int(float(value)) + 1) if "." not in value else f"{float(value) + 1:.2f}"
        n += 1
        return m.group(1) + value + m.group(3)

    body = _TABLE.sub(lambda t: _CELL_NUMBER.sub(td, t.group(0)), page)
    body = _TEXT_COUNT.sub(lambda m: f"{int(m.group(1)) * factor}{m.group(2)}", body)
    body = body.replace(old_agency, agency).replace(f"{old_year}年政府信息公开", f"{year}年政府信息公开")
    return body + f"\n<!-- xxgk audit scale set: {tag} -->\n"


def plan(pages: list[Path], n: int) -> list[tuple[Path, str, int, int, int | None, str]]:
    """(source page, agency, year, factor, bumped figure or None, file stem) for each file to write."""
    pingtan = sorted(p for p in pages if "pingtan" in p.name)
    others = [p for p in pages if p not in pingtan]
    out: list[tuple[Path, str, int, int, int | None, str]] = []
    made: Counter[str] = Counter()  # names made per source page: each gets the next code

    def new_name(key: str, head: str, tail: str) -> str:
        made[key] += 1
        return f"{head}{code(made[key] - 1)}{tail}"

    k = 0
    while len(out) < n:
        factor = 2 + k // len(others)  # with the page, unique to k
        if k % 7 == 0 and len(out) + 3 <= n:  # an agency with three consecutive years that follow each other
            name = new_name("series", PREFIX["fujian"], "综合实验区")
            for p in pingtan:
                _, y = agency_year(p.read_text(encoding="utf-8"))
                out.append((p, name, y, 2 + k, None, f"{len(out):04d}-{y}-series-{k}"))
        src = others[k % len(others)]
        page = src.read_text(encoding="utf-8")
        old, year = agency_year(page)
        tail = re.sub(r"（[^）]*）", "", old)[-12:]  # the agency's own name, without a bracketed remark
        name = new_name(src.stem, prefix(src.stem), tail)
        bump = 5 if k % 10 == 3 else None  # breaks a within-report rule
        out.append((src, name, year, factor, bump, f"{len(out):04d}-{year}-{k}"))
        if k % 25 == 5:  # copy-paste: next year's report is last year's with the year changed
            out.append((src, name, year + 1, factor, bump, f"{len(out):04d}-{year + 1}-copy-{k}"))
        if k % 40 == 7:  # another agency prints the very same tables the same year
            other = new_name(src.stem, prefix(src.stem), tail)
            out.append((src, other, year, factor, bump, f"{len(out):04d}-{year}-peer-{k}"))
        k += 1
    return out[:n]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--n", type=int, default=2000)
    args = ap.parse_args()
    pages = sorted(p for p in CORPUS_HTML.glob("*__html.html"))
    args.out.mkdir(parents=True, exist_ok=True)
    kinds: Counter[str] = Counter()
    for src, agency, year, factor, bump, stem in plan(pages, args.n):
        text = transform(src.read_text(encoding="utf-8"), agency, year, factor, bump, stem)
        (args.out / f"{stem}.html").write_text(text, encoding="utf-8")
        kinds[stem.split("-")[2] if stem.count("-") > 2 else "single"] += 1
        kinds["bumped"] += bump is not None
    print(f"{args.n} pages in {args.out}: {dict(kinds)}")


if __name__ == "__main__":
    main()
