#!/usr/bin/env bash
# Everything xxgk needs on a fresh Debian machine: system packages, then the package itself with its test extras.
# Safe to run again: what is installed already is skipped.
#
# Where the package goes: into the Python that `python3` names, unless that interpreter is externally managed
# (PEP 668: Debian's own /usr/bin/python3 refuses `pip install`) or XXGK_VENV=1 is set; then into a virtual
# environment in .venv, made here. `scripts/in-env CMD` runs CMD with .venv first on PATH when it exists;
# `source .venv/bin/activate` does the same for a shell.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v soffice >/dev/null 2>&1 || need+=(libreoffice-writer)   # .doc / .wps → .docx
command -v pdftoppm >/dev/null 2>&1 || need+=(poppler-utils)       # PDF pages → images (scanned-report tests)
command -v chromium >/dev/null 2>&1 || need+=(chromium)            # headless browser tests of audit.html
command -v fc-list >/dev/null 2>&1 || need+=(fontconfig)
[ -n "$(fc-list :lang=zh 2>/dev/null)" ] || need+=(fonts-wqy-zenhei)  # Chinese text in screenshots and charts
command -v tesseract >/dev/null 2>&1 || need+=(tesseract-ocr)       # OCR of scanned reports: the second engine
ls /usr/share/tesseract-ocr/*/tessdata/chi_sim.traineddata >/dev/null 2>&1 || need+=(tesseract-ocr-chi-sim)  # its Chinese model
python3 -c "import venv, ensurepip" >/dev/null 2>&1 || need+=(python3-venv)  # Debian splits venv out of python3
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  echo "setup: installing ${need[*]}" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

PY=python3
managed=$(python3 -c 'import sys, sysconfig, os; print(int(sys.prefix == sys.base_prefix and os.path.exists(os.path.join(sysconfig.get_path("stdlib"), "EXTERNALLY-MANAGED"))))')
if [ -x .venv/bin/python ] || [ "${XXGK_VENV:-0}" = 1 ] || [ "$managed" = 1 ]; then
  [ -x .venv/bin/python ] || { echo "setup: making a virtual environment in .venv" >&2; python3 -m venv .venv; }
  PY=.venv/bin/python
fi
"$PY" -m pip install -q --disable-pip-version-check -e ".[test,ocr]"
if [ "$PY" != python3 ]; then
  echo "setup: xxgk is installed in .venv: run 'source .venv/bin/activate' (or prefix commands with scripts/in-env)" >&2
fi
