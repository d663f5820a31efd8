#!/usr/bin/env bash
# Installs what `make run` and `make test` need on Debian/Ubuntu, skipping whatever is present:
# system packages (apt, as root), then .venv with torch first, then the project with its test extras.
set -euo pipefail
cd "$(dirname "$0")/.."

# Qt (xcb platform), OpenGL/EGL (moderngl, Mesa), PortAudio + JACK (playback and its tests),
# Xvfb (tests and screenshots), espeak-ng (speech with exact phoneme timing), sox.
APT_PACKAGES=(
  libgl1 libegl1 libxkbcommon0 libglib2.0-0 libfontconfig1 libfreetype6 libdbus-1-3
  libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1
  libxcb-render-util0 libxcb-render0 libxcb-shape0 libxcb-util1 libxcb-xkb1
  xvfb xauth libportaudio2 jackd2 espeak-ng libespeak-ng1 sox
)
PYTHON=${PYTHON:-python3}

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ! command -v "$PYTHON" >/dev/null 2>&1; then
  missing+=(python3 python3-venv python3-dev)
elif ! "$PYTHON" -c "import venv, ensurepip" >/dev/null 2>&1; then
  missing+=(python3-venv)
fi
if ((${#missing[@]})); then
  if [ "$(id -u)" = 0 ]; then
    echo "bootstrap: installing system packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    apt-get install -y -q --no-install-recommends "${missing[@]}"
  else
    echo "bootstrap: these system packages are missing; install them as root, then run make again:"
    echo "  sudo apt-get update && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${missing[*]}"
    exit 1
  fi
fi

stamp=.venv/.bootstrap-stamp
want=$(sha256sum pyproject.toml | cut -d' ' -f1)
if [ -x .venv/bin/python ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  exit 0
fi
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
# torch first, at the exact version a CPU wheel exists for; any other resolution pulls CUDA packages.
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -c "import torch, sys; sys.exit(torch.__version__.split('+')[0] != '2.13.0')" 2>/dev/null \
  || .venv/bin/python -m pip install -q "torch==2.13.0"
.venv/bin/python -m pip install -q -e ".[test]"
echo "$want" > "$stamp"
echo "bootstrap: environment ready in .venv"
