#!/bin/sh
# Winnow for macOS: Winnow.app from packaging/winnow.spec, self-tested, in a drag-to-Applications .dmg.
#
#   sh packaging/macos/make_dmg.sh        # on a Mac, with the test extra installed (.venv/bin/python)
#   -> dist/Winnow.app, dist/winnow-VERSION-macos-ARCH.dmg
#
# Cannot run on the Linux machine the project is developed on (PyInstaller builds only for the system it
# runs on, and hdiutil is macOS's): .github/workflows/installers.yml runs it on macOS runners.
# The app is signed ad hoc (PyInstaller does it): Gatekeeper asks the user to confirm the first start
# (right-click > Open). Signing with a Developer ID and notarizing need Apple credentials the project
# does not have yet; that is where `codesign --sign "Developer ID Application: …"` and
# `xcrun notarytool submit --wait` would go.
set -eu
cd "$(dirname "$0")/../.."
PYTHON="${PYTHON:-.venv/bin/python}"
VERSION="$("$PYTHON" -c 'import app; print(app.__version__)')"
ARCH="$(uname -m)"

"$PYTHON" -m PyInstaller --noconfirm --log-level WARN --distpath dist --workpath build packaging/winnow.spec
# The program inside the bundle is the same one-folder program: prove it works before packing it.
dist/Winnow.app/Contents/MacOS/winnow --self-test

staging="$(mktemp -d)"
trap 'rm -rf "$staging"' EXIT
cp -R dist/Winnow.app "$staging/"
ln -s /Applications "$staging/Applications"
out="dist/winnow-$VERSION-macos-$ARCH.dmg"
rm -f "$out"
hdiutil create -volname "Winnow $VERSION" -srcfolder "$staging" -fs HFS+ -format UDZO -ov "$out"
echo "built $out"
