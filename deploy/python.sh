#!/usr/bin/env bash
# Make sure Python can make a virtual environment (Debian ships venv separately).
set -euo pipefail
PYTHON=${1:-python3}
if ! command -v "$PYTHON" >/dev/null; then
  echo "python: $PYTHON not found; installing Debian's python3…"
  [ "$(id -u)" = 0 ] || { echo "python: run as root, or install python3 and python3-venv" >&2; exit 1; }
  apt-get update -qq && apt-get install -y -qq python3 python3-venv python3-dev gcc >/dev/null
fi
if ! "$PYTHON" -c 'import ensurepip, venv' 2>/dev/null; then
  echo "python: installing Debian's python3-venv…"
  [ "$(id -u)" = 0 ] || { echo "python: run as root, or install python3-venv" >&2; exit 1; }
  apt-get update -qq && apt-get install -y -qq python3-venv >/dev/null
fi
