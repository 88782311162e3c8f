#!/usr/bin/env bash
# Set up Loa on a fresh Debian/Ubuntu machine, then run what was asked:
#   bash scripts/setup.sh demo   # install, then `loa demo` (UI on http://127.0.0.1:8080/)
#   bash scripts/setup.sh test   # install (with test tools), then ruff and the test suite
#   bash scripts/setup.sh        # install only
set -euo pipefail
cd "$(dirname "$0")/.."
what="${1:-install}"

system_packages=(ffmpeg espeak-ng fonts-dejavu-core alsa-utils)
# mosquitto: tests start their own broker from packaging/mosquitto/loa.conf; nginx:
# tests/test_nginx_site.py runs the shipped site in front of `loa web` (CI=true fails without
# either); the tests start them on free ports themselves, the packages' services are not needed.
# icecast2: the relay tests stream through their own Icecast (tests/helpers/icecast.py).
[ "$what" = test ] && system_packages+=(chromium mosquitto nginx icecast2)
missing=()
for pkg in "${system_packages[@]}"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "Installing system packages: ${missing[*]}"
  sudo_cmd=()
  [ "$(id -u)" -ne 0 ] && sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

python="${PYTHON:-python3}"
"$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' || {
  echo "Loa needs Python 3.11 or newer" >&2; exit 1; }
[ -x .venv/bin/python ] || "$python" -m venv .venv
extras=""
[ "$what" = test ] && extras="[test]"
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e ".${extras}"

case "$what" in
  demo) exec .venv/bin/loa demo ;;
  test)
    .venv/bin/ruff check .
    exec .venv/bin/python -m pytest -q -n auto --dist loadgroup ;;
  install) echo "Loa is installed: .venv/bin/loa --help" ;;
  *) echo "usage: bash scripts/setup.sh [install|demo|test]" >&2; exit 2 ;;
esac
