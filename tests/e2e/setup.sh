#!/bin/sh
# Installs what the browser tests need: Debian's chromium (and CJK fonts, so Korean text
# renders in screenshots), then the npm packages of this folder (playwright-core only; it
# downloads no browser). Safe to run again.
set -eu
cd "$(dirname "$0")"
SUDO=""
if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1; then SUDO="sudo"; fi
need=""
[ -x /usr/bin/chromium ] || need="$need chromium"
if ! fc-list 2>/dev/null | grep -qi "Noto Sans CJK"; then need="$need fonts-noto-cjk"; fi
if [ -n "$need" ]; then
  $SUDO apt-get update
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends $need
fi
/usr/bin/chromium --version
PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund
