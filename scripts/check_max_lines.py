"""Fail when a module of the package is longer than the house limit (a long module is two modules)."""

from __future__ import annotations

import sys
from pathlib import Path

LIMIT = 600
ROOT = Path(__file__).resolve().parent.parent / "pipeline"


def main(paths: list[str]) -> int:
    files = [Path(p) for p in paths] or sorted(ROOT.rglob("*.py"))
    long = [(f, n) for f in files if (n := len(f.read_text(encoding="utf-8").splitlines())) > LIMIT]
    for f, n in long:
        print(f"{f}: {n} lines (limit {LIMIT})")
    return 1 if long else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
