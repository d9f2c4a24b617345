"""What every reconciliation check shares: the figures' keys and values, the tolerance, how a figure is printed."""

from __future__ import annotations

from .text import format_figure

TOLERANCE = 1e-6  # figures are whole numbers or money to the cent: closer than this is equal
CellKey = tuple[str, str, str]  # (table, row, col)
# (table, row, col) -> value (None for blank)
Values = dict[CellKey, float | None]
RowCol = tuple[str, str]


def show(x: float) -> str:
    """A figure as a message prints it, in full (7, 2.5, 73802895.9: never 7.0 or 7.38029e+07)."""
    return format_figure(x)
