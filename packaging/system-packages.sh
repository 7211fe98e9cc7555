#!/bin/sh
# What the GUI tests and screenshots need from the system, installed by the project itself:
# a virtual screen (Xvfb), CJK fonts so Chinese renders, and the libraries Qt's xcb and offscreen
# platforms load; binutils and dpkg for building the installers (PyInstaller runs objdump, the .deb is made
# by dpkg-deb). Idempotent and quiet when everything is there; a no-op where apt-get is missing
# (the tests then name what is absent).
set -eu
PACKAGES="xvfb xauth fonts-noto-cjk libegl1 libgl1 libxkbcommon0 libxkbcommon-x11-0 libfontconfig1 libdbus-1-3 \
libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-randr0 libxcb-render-util0 libxcb-shape0 \
libxcb-xinerama0 libxcb-xkb1 binutils dpkg"
command -v dpkg-query >/dev/null 2>&1 || { echo "system-packages: no dpkg here; install $PACKAGES yourself" >&2; exit 0; }
missing=""
for package in $PACKAGES; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "ok installed" || missing="$missing $package"
done
[ -z "$missing" ] && exit 0
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo -n"
echo "system-packages: installing$missing" >&2
$SUDO apt-get update -qq >/dev/null
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
