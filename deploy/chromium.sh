#!/usr/bin/env bash
# The real-browser tests drive Debian's Chromium (playwright, executable /usr/bin/chromium);
# install it where it is missing. (playwright's own browser download is not used.)
set -euo pipefail
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
[ -x "$CHROMIUM" ] && exit 0
echo "chromium: installing Debian's chromium for the browser tests…"
if [ "$(id -u)" = 0 ]; then SUDO=; elif command -v sudo >/dev/null; then SUDO=sudo; else
  echo "chromium: run as root, or install Debian's chromium package" >&2; exit 1; fi
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
