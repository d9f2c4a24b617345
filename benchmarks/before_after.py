"""Before and after in one run: a benchmark script run from an earlier commit's code and from this checkout, in turn.

    python benchmarks/before_after.py e49eb47 bench_pdf.py                  # bench_pdf.py before/after, 2 rounds
    python benchmarks/before_after.py e49eb47 bench_batch.py --files 300 --rounds 1

The earlier commit is exported (``git archive``) into a temporary folder; each side runs its own copy of the script
(``benchmarks/SCRIPT`` as that commit had it) with its own package first on ``PYTHONPATH``, in the same environment
(``../shared`` beside it too).
The sides alternate so that a change in the machine's load falls on both; every output is printed with the load
average before it, as each script prints its own figures.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]


def export(commit: str, into: Path) -> Path:
    """The tree of ``commit`` written into ``into`` (no worktree registered)."""
    archive = subprocess.run(["git", "-C", str(HERE), "archive", commit], check=True, capture_output=True).stdout
    tar = into / "tree.tar"
    tar.write_bytes(archive)
    with tarfile.open(tar) as t:
        t.extractall(into / "tree", filter="data")
    tar.unlink()
    shared = HERE.parent / "shared"
    if shared.exists():  # the scripts find the corpus beside their checkout, as ../shared
        (into / "shared").symlink_to(shared)
    return into / "tree"


def run(label: str, root: Path, script: str, args: list[str]) -> None:
    env = {**os.environ, "PYTHONPATH": str(root)}
    print(f"--- {label} ({root}), load average {os.getloadavg()[0]:.2f}", flush=True)
    done = subprocess.run([sys.executable, str(root / "benchmarks" / script), *args], cwd=root, env=env)
    if done.returncode:
        print(f"--- {label}: exit {done.returncode}", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("before", help="the earlier commit (hash, tag or branch)")
    ap.add_argument("script", help="a script in benchmarks/ that both commits have")
    ap.add_argument("--rounds", type=int, default=2, help="times each side runs, alternating")
    args, rest = ap.parse_known_args()
    with tempfile.TemporaryDirectory(prefix="xxgk-before-") as tmp:
        before = export(args.before, Path(tmp))
        if not (before / "benchmarks" / args.script).exists():
            raise SystemExit(f"{args.before} has no benchmarks/{args.script}")
        for i in range(args.rounds):
            run(f"before {args.before}, round {i + 1}", before, args.script, rest)
            run(f"after (this checkout), round {i + 1}", HERE, args.script, rest)


if __name__ == "__main__":
    main()
