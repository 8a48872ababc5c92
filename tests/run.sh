#!/usr/bin/env bash
# Installs everything the test suite needs on a fresh machine, then runs it.
#   bash tests/run.sh [pytest args...]
# Python packages come from PyPI, the browser from Debian, the JS runtime
# packages from npm; nothing else is downloaded.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}

step() { printf '\n== %s\n' "$*"; }

step "python packages"
$PY -m pip install -q --upgrade "pip>=24"
$PY -m pip install -q -e ".[test,edge]"
# The TF.js converter pins tensorflow-decision-forests, which cannot import on
# TF 2.21; install it without dependencies (hub_export/tfjs.py stubs that module).
$PY -m pip install -q --no-deps "tensorflowjs==4.22.0"

SUDO=""
[ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null && SUDO=sudo
apt_install() {
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "$@"
}
if ! command -v chromium >/dev/null; then
  step "chromium (headless browser test of the web demo)"
  apt_install chromium
fi
if ! command -v node >/dev/null; then
  step "node (TF.js checks)"
  apt_install nodejs npm
fi
step "npm packages (@tensorflow/tfjs, playwright-core)"
npm ci --no-audit --no-fund --loglevel=error

step "tests"
# Most tests hold one core (TF's graph ops on small models); one pytest worker
# per core roughly halves the wall time. --dist loadfile keeps each file's
# module-scoped fixtures (tiny trained runs) in one worker.
$PY -m pytest -n "${TFBIGGAN_TEST_WORKERS:-2}" --dist loadfile "$@"
