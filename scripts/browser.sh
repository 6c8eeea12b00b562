#!/usr/bin/env bash
# Makes sure a headless Chromium is available for the web app's browser tests (test/app/) and prints
# its path. playwright-core drives it; it never downloads its own browsers. Debian/Ubuntu's
# `chromium` package is installed with apt when no browser is found (root, or passwordless sudo).
#
#   bash scripts/browser.sh          print the browser's path, installing it first when missing
#
# PROOFWORK_CHROMIUM=/path/to/chrome uses that browser instead.
set -euo pipefail

log() { printf '[browser] %s\n' "$*" >&2; }

find_browser() {
  local c
  for c in "${PROOFWORK_CHROMIUM:-}" /usr/bin/chromium /usr/bin/chromium-browser /usr/bin/google-chrome; do
    if [ -n "$c" ] && [ -x "$c" ]; then
      printf '%s\n' "$c"
      return 0
    fi
  done
  return 1
}

if find_browser; then exit 0; fi

if ! command -v apt-get >/dev/null 2>&1; then
  log "error: no Chromium found and no apt-get to install one; install Chromium and set PROOFWORK_CHROMIUM"
  exit 1
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    SUDO="sudo -n"
  else
    log "error: Chromium is missing and installing it needs root: run 'sudo apt-get install -y chromium'"
    exit 1
  fi
fi
log "installing Debian's chromium package (once, about a minute)"
t0=$SECONDS
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get install -y --no-install-recommends chromium >&2 \
  || { $SUDO apt-get update >&2 && $SUDO apt-get install -y --no-install-recommends chromium >&2; }
log "chromium installed in $((SECONDS - t0))s"
find_browser || { log "error: chromium was installed but no binary was found"; exit 1; }
