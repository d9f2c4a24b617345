#!/usr/bin/env bash
# The package as users get it, two ways: the wheel built from this checkout, and `pip install .` (not editable), each
# installed into a fresh virtual environment outside the checkout, reading the samples from another folder.
# Fails if the installed package lacks anything (schemas …).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
py=${PYTHON:-python3}
[ -x "$root/.venv/bin/python" ] && py="$root/.venv/bin/python"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$py" -m build --wheel --outdir "$work/dist" "$root" >"$work/build.log" 2>&1 || { cat "$work/build.log"; exit 1; }
cd "$work"  # nothing of the checkout on sys.path
for how in wheel source; do
  "$py" -m venv "$work/$how"
  if [ $how = wheel ]; then src=("$work"/dist/*.whl); else src=("$root"); fi
  "$work/$how/bin/python" -m pip install -q --disable-pip-version-check "${src[@]}" 2>&1 | grep -v "^WARNING: Location" || true
  echo "== installed from the $how: $("$work/$how/bin/xxgk" --version)"
  "$work/$how/bin/xxgk" ingest "$root/samples" --out "$work/out-$how" --workers 1 2>&1 | tail -3 || true
  "$work/$how/bin/python" - "$work/out-$how" <<'PY'
import sys, pandas as pd
cells = pd.read_parquet(f"{sys.argv[1]}/cells.parquet")
reports = pd.read_parquet(f"{sys.argv[1]}/reports.parquet")
print(f"install check: {len(reports)} reports, {len(cells)} cells")
assert len(cells) > 0 and reports["status"].isin(["ok", "partial"]).sum() >= 3, reports[["source_path", "status"]]
PY
done
