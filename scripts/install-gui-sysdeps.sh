#!/usr/bin/env bash
# Install the system libraries the Qt GUI needs: offscreen rendering (tests) and a real
# window under Xvfb (the screenshot test). Idempotent: does nothing when everything is
# there, and never asks for privileges: without root (or without apt-get) it only says
# what is missing. Facts: docs/decisions/0009-gui-process-model.md, environment notes.
set -euo pipefail

PACKAGES=(libgl1 libegl1 libglib2.0-0 libfontconfig1 libxkbcommon0 libdbus-1-3
          libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1
          libxcb-render-util0 libxcb-shape0 xvfb xauth)

# In CI (CI=true) what cannot be installed is an error: the GUI tests need it there and
# fail (the screenshot test does not skip in CI); elsewhere it is a notice.
in_ci=0
case "${CI:-}" in 1|true|TRUE|True|yes) in_ci=1 ;; esac

if ! command -v dpkg-query >/dev/null 2>&1; then
    echo "install-gui-sysdeps: not a Debian/Ubuntu system; install Qt's xcb libraries and Xvfb yourself" >&2
    if [[ $in_ci -eq 1 ]] && ! command -v Xvfb >/dev/null 2>&1; then
        echo "install-gui-sysdeps: CI=true and Xvfb is missing: the GUI screenshot test will fail" >&2
        exit 1
    fi
    exit 0
fi

missing=()
for pkg in "${PACKAGES[@]}"; do
    status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
    [[ "$status" == "install ok installed" ]] || missing+=("$pkg")
done

if [[ ${#missing[@]} -eq 0 ]]; then
    echo "install-gui-sysdeps: all ${#PACKAGES[@]} GUI system packages are installed"
    exit 0
fi

if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
    echo "install-gui-sysdeps: missing ${missing[*]}; as root run:" >&2
    echo "  apt-get update -q && apt-get install -y -q --no-install-recommends ${missing[*]}" >&2
    if [[ $in_ci -eq 1 ]]; then
        echo "install-gui-sysdeps: CI=true: cannot install them (not root or no apt-get); the GUI tests will fail" >&2
        exit 1
    fi
    echo "install-gui-sysdeps: GUI tests that need them will be skipped (here: not root, not CI)" >&2
    exit 0
fi

echo "install-gui-sysdeps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
for tool in Xvfb xauth; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "install-gui-sysdeps: $tool is still missing after apt-get install" >&2
        exit 1
    fi
done
echo "install-gui-sysdeps: installed; the GUI screenshot test can run"
