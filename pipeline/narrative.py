"""What a report's text says, read at ingest and checked by ``xxgk audit``: the figures section 一、总体情况 states in
words (rule 17) and the headings of the sections 一 to 六 (rule 21).

The patterns come from the narrative rules of ``schemas/rules.yaml``; what is found is written as the ``narrative``
table (``tables.NARRATIVE``): a stated figure as its value, a section heading found as the section's number.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from .checks import CHECKS, Scope
from .specs import Rule, Schema
from .text import fold

_SECTION_ONE = re.compile(r"^[一1][、.．,，]?\s*总体情况")
_SECTION_NEXT = re.compile(r"^[二2][、.．,，]")
SNIPPET_CONTEXT = 12  # characters of text kept either side of a stated figure


def overview_text(paragraphs: Sequence[str]) -> list[tuple[int, str]]:
    """The paragraphs of 一、总体情况 (index, folded text); empty when the report has no such heading."""
    folded = [(i, fold(p)) for i, p in enumerate(paragraphs) if p and p.strip()]
    start = next((k for k, (_, t) in enumerate(folded) if _SECTION_ONE.match(t)), None)
    if start is None:
        return []
    out = []
    for i, t in folded[start + 1 :]:
        if _SECTION_NEXT.match(t):
            break
        out.append((i, t))
    return out


def narrative_figures(paragraphs: Sequence[str], schema: Schema) -> list[dict]:
    """Every figure of the narrative rules that 一、总体情况 states (rule, table, figure, value, raw text, paragraph),
    after the section headings found (``section_headings``).

    The section's paragraphs are joined (PDF text breaks lines mid-sentence) and searched with each figure's
    patterns; a figure stated twice with the same value is kept once.
    """
    out = section_headings(paragraphs, schema)
    parts = overview_text(paragraphs)
    if not parts:
        return out
    text, starts = "", []
    for i, t in parts:
        starts.append((len(text), i))
        text += t
    for rule in schema.rules:
        if CHECKS[rule.check].scope == Scope.NARRATIVE and "figures" in rule.params:
            for fig in rule.params["figures"]:
                out += _stated(rule, fig, text, starts)
    return out


def _stated(rule: Rule, fig: dict, text: str, starts: list[tuple[int, int]]) -> list[dict]:
    """Where ``text`` (the section joined, each paragraph starting at its offset) states one figure."""
    out: list[dict] = []
    seen: set[float] = set()
    for pat in fig["patterns"]:
        for m in re.finditer(pat, text):
            value = float(m.group(1))
            if value in seen:
                continue
            seen.add(value)
            out.append(
                dict(
                    rule=rule.name,
                    table=rule.table,
                    figure=fig["name"],
                    value=value,
                    raw=text[max(0, m.start() - SNIPPET_CONTEXT) : m.end() + SNIPPET_CONTEXT],
                    paragraph=max(i for s, i in starts if s <= m.start()),
                )
            )
    return out


def section_headings(paragraphs: Sequence[str], schema: Schema) -> list[dict]:
    """The first heading of each section a sections rule names: a paragraph that starts with one of its patterns
    (on the folded text). Value: the section's place in the rule's list (1 for 一, …)."""
    folded = [(i, fold(p)) for i, p in enumerate(paragraphs) if p and p.strip()]
    out: list[dict] = []
    for rule in schema.rules:
        if "sections" not in rule.params or CHECKS[rule.check].scope != Scope.NARRATIVE:
            continue
        for n, section in enumerate(rule.params["sections"], start=1):
            hit = _first_heading(folded, section["patterns"])
            if hit is not None:
                i, text = hit
                raw = text[: 2 * SNIPPET_CONTEXT]
                out.append(
                    dict(rule=rule.name, table=None, figure=section["name"], value=float(n), raw=raw, paragraph=i)
                )
    return out


def _first_heading(folded: list[tuple[int, str]], patterns: list[str]) -> tuple[int, str] | None:
    """The first (paragraph, text) that starts with one of the patterns."""
    pats = [re.compile(p) for p in patterns]
    return next(((i, t) for i, t in folded if any(p.match(t) for p in pats)), None)
