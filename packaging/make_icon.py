"""Render Winnow's icon from ``resources/icons/winnow.svg`` into the files installers want.

    .venv/bin/python packaging/make_icon.py          # writes them (committed: the build does not need Qt's SVG)
    .venv/bin/python packaging/make_icon.py --check  # exit 1 if a written file differs from the SVG's rendering

Writes ``winnow.png`` (256 px: the window icon and the Linux desktop entry's), ``winnow.ico`` (Windows:
16–256 px) and ``winnow.icns`` (macOS: 16–1024 px). Both containers hold PNG images, which every
Windows since Vista and every macOS since 10.7 read, so no imaging library is needed to build them.
"""

from __future__ import annotations

import argparse
import os
import struct
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
ICONS = REPO / "resources" / "icons"
SVG = ICONS / "winnow.svg"
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
# ICNS types holding PNG data, by pixel size (Apple's "icns" format; ic11–ic14 are the @2x twins).
ICNS_TYPES = (
    (16, b"icp4"),
    (32, b"icp5"),
    (64, b"icp6"),
    (128, b"ic07"),
    (256, b"ic08"),
    (512, b"ic09"),
    (1024, b"ic10"),
)


def render_png(size: int) -> bytes:
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    renderer = QSvgRenderer(str(SVG))
    if not renderer.isValid():
        sys.exit(f"make_icon: {SVG} is not a valid SVG")
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    buffer.close()
    return bytes(data)


def ico(pngs: dict[int, bytes]) -> bytes:
    """A Windows .ico of PNG images: ICONDIR, one ICONDIRENTRY each (0 means 256), then the data."""
    header = struct.pack("<HHH", 0, 1, len(pngs))
    offset = len(header) + 16 * len(pngs)
    entries, blobs = b"", b""
    for size, png in sorted(pngs.items()):
        side = 0 if size >= 256 else size
        entries += struct.pack("<BBBBHHII", side, side, 0, 0, 1, 32, len(png), offset + len(blobs))
        blobs += png
    return header + entries + blobs


def icns(pngs: dict[int, bytes]) -> bytes:
    """A macOS .icns: 'icns', the total length, then (type, length incl. 8, PNG) per size."""
    body = b"".join(kind + struct.pack(">I", len(pngs[size]) + 8) + pngs[size] for size, kind in ICNS_TYPES)
    return b"icns" + struct.pack(">I", len(body) + 8) + body


def outputs() -> dict[Path, bytes]:
    sizes = sorted({*ICO_SIZES, *(size for size, _ in ICNS_TYPES)})
    pngs = {size: render_png(size) for size in sizes}
    return {
        ICONS / "winnow.png": pngs[256],
        ICONS / "winnow.ico": ico({size: pngs[size] for size in ICO_SIZES}),
        ICONS / "winnow.icns": icns(pngs),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if a file is out of date")
    args = parser.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtGui import QGuiApplication

    _application = QGuiApplication.instance() or QGuiApplication([sys.argv[0]])
    stale = []
    for path, data in outputs().items():
        if args.check:
            if not path.exists() or path.read_bytes() != data:
                stale.append(path)
        else:
            path.write_bytes(data)
            print(f"wrote {path.relative_to(REPO)} ({len(data):,} bytes)")
    for path in stale:
        print(f"make_icon: {path.relative_to(REPO)} is out of date: run packaging/make_icon.py", file=sys.stderr)
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
