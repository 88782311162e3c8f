#!/usr/bin/env bash
# Set up Loa on a fresh Debian/Ubuntu machine, then run what was asked:
#   bash scripts/setup.sh demo   # install, then `loa demo` (UI on http://127.0.0.1:8080/)
#   bash scripts/setup.sh test   # install (with test tools), then ruff and the test suite
#   bash scripts/setup.sh        # install only
# Flags after the word go to what it runs: `demo --port 8090`, `test -k bulletin`.
set -euo pipefail
cd "$(dirname "$0")/.."
what="${1:-install}"
[ "$#" -gt 0 ] && shift

system_packages=(ffmpeg espeak-ng fonts-liberation2 alsa-utils)
# mosquitto: tests start their own broker from packaging/mosquitto/loa.conf; nginx:
# tests/test_nginx_site.py runs the shipped site in front of `loa web` (CI=true fails without
# either); the tests start them on free ports themselves, the packages' services are not needed.
# icecast2: the relay tests stream through their own Icecast (tests/helpers/icecast.py).
# chromium-headless-shell: the browser tests (Playwright drives it; tests/conftest.py).
[ "$what" = test ] && system_packages+=(chromium-headless-shell mosquitto nginx icecast2)
missing=()
for pkg in "${system_packages[@]}"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "Installing system packages: ${missing[*]}"
  sudo_cmd=()
  [ "$(id -u)" -ne 0 ] && sudo_cmd=(sudo)
  # Another apt or an unattended upgrade may hold the lock: wait for it (say so) rather than fail.
  apt=("${sudo_cmd[@]}" apt-get -o DPkg::Lock::Timeout=600)
  if command -v fuser >/dev/null && fuser /var/lib/dpkg/lock-frontend >/dev/null 2>&1; then
    echo "Another package manager is running; waiting for it (up to 10 minutes)..."
  fi
  "${apt[@]}" update -qq
  DEBIAN_FRONTEND=noninteractive "${apt[@]}" install -y -qq --no-install-recommends "${missing[@]}" \
    >/dev/null
fi

python="${PYTHON:-python3}"
"$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' || {
  echo "Loa needs Python 3.11 or newer" >&2; exit 1; }
[ -x .venv/bin/python ] || "$python" -m venv .venv
extras=""
[ "$what" = test ] && extras="[test]"
install=(.venv/bin/python -m pip install -q --disable-pip-version-check --no-warn-script-location)
# The build backend's notices (a page per editable install) go to a log, shown only on failure.
log=.venv/install.log
if ! { "${install[@]}" --upgrade pip && "${install[@]}" -e ".${extras}"; } >"$log" 2>&1; then
  cat "$log" >&2
  echo "Installing Loa's Python packages failed (the log above is kept in $log)" >&2
  exit 1
fi

case "$what" in
  demo) exec .venv/bin/loa demo "$@" ;;
  test)
    .venv/bin/ruff check .
    # Bytecode caches on (into __pycache__, ignored by git) even where the machine turns them
    # off: every worker and every `loa` the tests start would compile Loa's modules, and
    # pytest would rewrite every test module's asserts, again (collection 9 s -> 4 s a worker).
    unset PYTHONDONTWRITEBYTECODE
    # One collection first writes those caches, so the workers start from them (on a fresh
    # clone eight workers would each compile the same modules at once: 9 s each, not 3 s).
    # Its errors, if any, the run below reports.
    .venv/bin/python -m pytest -q --collect-only -p no:cacheprovider "$@" >/dev/null || true
    # Four workers a core: the real-time tests (agents, streams and servers, mostly waiting)
    # take a few workers in groups (tests/conftest.py), the others keep the cores busy.
    exec .venv/bin/python -m pytest -q -n "$(( $(nproc) * 4 ))" --dist loadgroup "$@" ;;
  install)
    echo "Loa is installed. Run it as .venv/bin/loa (e.g. .venv/bin/loa --help),"
    echo "or activate the environment first: source .venv/bin/activate; loa --help" ;;
  *) echo "usage: bash scripts/setup.sh [install|demo|test]" >&2; exit 2 ;;
esac
