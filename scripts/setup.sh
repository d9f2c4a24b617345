#!/usr/bin/env bash
# Everything xxgk needs on a fresh Debian machine: system packages, then the package itself with its test extras.
# Safe to run again: what is installed already is skipped.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v soffice >/dev/null 2>&1 || need+=(libreoffice-writer)   # .doc / .wps → .docx
command -v pdftoppm >/dev/null 2>&1 || need+=(poppler-utils)       # PDF pages → images (scanned-report tests)
command -v chromium >/dev/null 2>&1 || need+=(chromium)            # headless browser tests of audit.html
command -v fc-list >/dev/null 2>&1 || need+=(fontconfig)
[ -n "$(fc-list :lang=zh 2>/dev/null)" ] || need+=(fonts-wqy-zenhei)  # Chinese text in screenshots and charts
command -v tesseract >/dev/null 2>&1 || need+=(tesseract-ocr)       # OCR of scanned reports
ls /usr/share/tesseract-ocr/*/tessdata/chi_sim.traineddata >/dev/null 2>&1 || need+=(tesseract-ocr-chi-sim)  # its Chinese model
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  echo "setup: installing ${need[*]}" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

python3 -m pip install -q --disable-pip-version-check -e ".[test,ocr]"
