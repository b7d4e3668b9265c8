#!/usr/bin/env bash
# Installs Debian's `chromium` for the HTML report test (tests/html.rs), which loads reports in
# headless Chromium and checks their DOM. Idempotent: does nothing when `chromium` is on PATH.
# Needs root (or sudo) and Debian's package mirrors; `apt-get update` runs only when the package is
# unknown to apt.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then
    echo "chromium: $(command -v chromium) ($(chromium --version 2>/dev/null || echo 'version unknown'))"
    exit 0
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
    sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
if ! apt-cache show chromium >/dev/null 2>&1; then
    $sudo apt-get update
fi
$sudo apt-get install -y --no-install-recommends chromium
chromium --version
