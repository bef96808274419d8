#!/usr/bin/env bash
# The real-browser tests drive Debian's Chromium (playwright, executable /usr/bin/chromium);
# install it where it is missing. (playwright's own browser download is not used.)
set -euo pipefail
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
# A Chinese font, or the pages' screenshots show boxes where the words should be.
FONT=/usr/share/fonts/truetype/wqy/wqy-microhei.ttc
[ -x "$CHROMIUM" ] && [ -f "$FONT" ] && exit 0
echo "chromium: installing Debian's chromium and a Chinese font for the browser tests…"
if [ "$(id -u)" = 0 ]; then SUDO=; elif command -v sudo >/dev/null; then SUDO=sudo; else
  echo "chromium: run as root, or install Debian's chromium package" >&2; exit 1; fi
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null
