#!/usr/bin/env bash
# Headless Chromium looks at the finance page as a person would (tests/test_reconciliation_page_image.py). It is
# Debian's package: `make test` installs it on a fresh machine when it can (root with apt-get), else says how.
set -euo pipefail
if command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; then
    exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing Debian's chromium (headless browser for the page tests)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >/dev/null
    apt-get install -y -q --no-install-recommends chromium fonts-dejavu-core >/dev/null
    exit 0
fi
echo "headless Chromium is missing: install your system's chromium package (e.g. apt-get install chromium)" >&2
exit 1
