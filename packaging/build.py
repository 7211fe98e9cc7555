"""Build Winnow's Linux deliverables and smoke-test each: ``packaging/build`` runs this.

    packaging/build                       # bundle + .deb + portable .tar.gz into dist/, each self-tested
    packaging/build --skip-tests          # build only
    packaging/build --dist /tmp/d --work /tmp/w --compress xz   # elsewhere; a smaller .deb, slower

1. The one-folder bundle: PyInstaller with ``packaging/winnow.spec`` → ``DIST/winnow/``.
2. The ``.deb`` (dpkg-deb): the bundle in ``/opt/winnow``, ``/usr/bin/winnow`` pointing at it, the
   desktop entry and the icon in the hicolor theme → ``DIST/winnow_VERSION_ARCH.deb``.
3. The portable archive: ``winnow-VERSION/`` with a ``portable`` marker beside the program, so settings
   and data stay in that folder (``app/paths.py``) → ``DIST/winnow-VERSION-linux-ARCH.tar.gz``.
4. Unless ``--skip-tests``: ``winnow --self-test`` on the bundle, on the ``.deb`` unpacked into a scratch
   root (``dpkg -x``), and on the unpacked archive. Exit 1 if any failed.

Windows and macOS installers come from the same spec on those systems (``packaging/windows``,
``packaging/macos``, ``.github/workflows/installers.yml``): PyInstaller cannot cross-build.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SPEC = REPO / "packaging" / "winnow.spec"
DESKTOP = REPO / "packaging" / "linux" / "winnow.desktop"
ICONS = REPO / "resources" / "icons"
NAME = "winnow"
SELF_TEST_TIMEOUT_S = 300
"""The self-test takes about 2 s; a cold start on a loaded CI machine can take many times that."""

# What Qt's xcb platform plugin loads from the system (PyInstaller leaves X11, GL and fontconfig to the
# system, which must match the display server); the same list as packaging/system-packages.sh.
DEB_DEPENDS = (
    "libegl1, libgl1, libfontconfig1, libfreetype6, libdbus-1-3, libxkbcommon0, "
    "libxkbcommon-x11-0, libxcb-cursor0, libxcb-icccm4, libxcb-image0, libxcb-keysyms1, libxcb-randr0, "
    "libxcb-render-util0, libxcb-shape0, libxcb-xinerama0, libxcb-xkb1"
)
DEB_RECOMMENDS = "fonts-noto-cjk"  # Chinese text needs a CJK font; most desktops have one already
DEB_MAINTAINER = "Winnow maintainers <winnow@example.org>"
PORTABLE_NOTE = (
    "Winnow keeps its settings and data in the folder winnow-data beside this file while this file is here.\n"
    "Delete this file to keep them in your user folders instead.\n"
)


def version() -> str:
    sys.path.insert(0, str(REPO))
    import app

    return app.__version__


def glibc() -> str:
    """The build machine's glibc: the bundle's Python and Qt need at least this one on the user's machine."""
    return os.confstr("CS_GNU_LIBC_VERSION").split()[-1]


def deb_arch() -> str:
    return subprocess.run(["dpkg", "--print-architecture"], capture_output=True, text=True, check=True).stdout.strip()


def log(message: str) -> None:
    print(f"build: {message}", flush=True)


# Building


def bundle(dist: Path, work: Path) -> Path:
    """Run PyInstaller; the one-folder program is DIST/winnow."""
    command = [sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN"]
    command += ["--distpath", str(dist), "--workpath", str(work), str(SPEC)]
    subprocess.run(command, check=True, cwd=REPO)
    folder = dist / NAME
    if not (folder / NAME).is_file():
        raise SystemExit(f"build: PyInstaller made no {folder / NAME}")
    return folder


def folder_size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


def deb(program: Path, dist: Path, work: Path, compress: str = "gzip") -> Path:
    """The .deb: /opt/winnow, /usr/bin/winnow, the desktop entry, the icons."""
    root = work / "deb-root"
    shutil.rmtree(root, ignore_errors=True)
    shutil.copytree(program, root / "opt" / NAME, symlinks=True)
    bin_dir = root / "usr" / "bin"
    bin_dir.mkdir(parents=True)
    # Relative, so the link also works in a root unpacked elsewhere (dpkg -x, the smoke test). The
    # bootloader follows it (/proc/self/exe) to find its libraries in /opt/winnow/_internal.
    (bin_dir / NAME).symlink_to(Path("..", "..", "opt", NAME, NAME))
    share = root / "usr" / "share"
    (share / "applications").mkdir(parents=True)
    shutil.copyfile(DESKTOP, share / "applications" / f"{NAME}.desktop")
    for size_dir, source in (("256x256", "winnow.png"), ("scalable", "winnow.svg")):
        target = share / "icons" / "hicolor" / size_dir / "apps"
        target.mkdir(parents=True)
        shutil.copyfile(ICONS / source, target / f"{NAME}{Path(source).suffix}")
    doc = share / "doc" / NAME
    doc.mkdir(parents=True)
    (doc / "copyright").write_text("Winnow\nLicense: Apache-2.0\n", encoding="utf-8")
    control = root / "DEBIAN"
    control.mkdir()
    installed_kib = (folder_size(root) + 1023) // 1024
    (control / "control").write_text(
        f"Package: {NAME}\n"
        f"Version: {version()}\n"
        f"Architecture: {deb_arch()}\n"
        f"Maintainer: {DEB_MAINTAINER}\n"
        f"Installed-Size: {installed_kib}\n"
        f"Depends: libc6 (>= {glibc()}), {DEB_DEPENDS}\n"
        f"Recommends: {DEB_RECOMMENDS}\n"
        "Section: science\n"
        "Priority: optional\n"
        "Homepage: https://example.org/winnow\n"
        "Description: workbench for Chinese instruction-tuning datasets\n"
        " Load raw sources, let DeepL and OpenAI-compatible models draft translations and answers,\n"
        " review, correct and rate every sample, and export to JSONL and SQLite, the way the COIG\n"
        " corpora were built.\n",
        encoding="utf-8",
    )
    out = dist / f"{NAME}_{version()}_{deb_arch()}.deb"
    # gzip: ~4× faster to build than xz on this 2-core machine, for a ~20 % larger file.
    subprocess.run(
        ["dpkg-deb", "--root-owner-group", f"-Z{compress}", "--build", str(root), str(out)],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    shutil.rmtree(root)
    return out


def portable_archive(program: Path, dist: Path) -> Path:
    """winnow-VERSION/ with the program and a ``portable`` marker, as .tar.gz."""
    top = f"{NAME}-{version()}"
    out = dist / f"{top}-linux-{os.uname().machine}.tar.gz"
    with tempfile.TemporaryDirectory() as scratch:
        marker = Path(scratch) / "portable"
        marker.write_text(PORTABLE_NOTE, encoding="utf-8")
        # compresslevel 6: gzip's own default; 9 saves ~1 % for twice the time.
        with tarfile.open(out, "w:gz", compresslevel=6) as archive:
            archive.add(program, arcname=top)
            archive.add(marker, arcname=f"{top}/portable")
            archive.add(DESKTOP, arcname=f"{top}/{NAME}.desktop")
    return out


# Testing what was built


def self_test(program: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``program --self-test``; the result, with stdout and stderr."""
    environment = {k: v for k, v in os.environ.items() if k not in ("WINNOW_PORTABLE", "WINNOW_CONFIG_DIR")}
    environment.update(env or {})
    return subprocess.run(
        [str(program), "--self-test"],
        capture_output=True,
        text=True,
        timeout=SELF_TEST_TIMEOUT_S,
        env=environment,
        check=False,
    )


def unpack_deb(package: Path, root: Path) -> Path:
    """Unpack ``package`` into ``root`` as dpkg would install it; the installed program's path."""
    subprocess.run(["dpkg-deb", "-x", str(package), str(root)], check=True)
    return root / "usr" / "bin" / NAME


def unpack_archive(archive: Path, folder: Path) -> Path:
    with tarfile.open(archive) as tar:
        tar.extractall(folder, filter="tar")
    return folder / f"{NAME}-{version()}" / NAME


def check(label: str, program: Path) -> bool:
    result = self_test(program)
    ok = result.returncode == 0 and not result.stderr.strip()
    log(f"self-test of the {label} ({program}): {'passed' if ok else 'FAILED'}")
    if not ok:
        print(result.stdout, result.stderr, sep="\n", file=sys.stderr)
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dist", type=Path, default=REPO / "dist", help="where the results go (default dist/)")
    parser.add_argument("--work", type=Path, default=REPO / "build", help="PyInstaller's work folder (build/)")
    parser.add_argument("--compress", choices=("gzip", "xz", "zstd"), default="gzip", help=".deb compression")
    parser.add_argument("--skip-tests", action="store_true", help="build, but do not run the self-tests")
    args = parser.parse_args(argv)
    for tool in ("dpkg-deb", "dpkg"):
        if shutil.which(tool) is None:
            raise SystemExit(f"build: {tool} is needed for the .deb (Debian/Ubuntu's dpkg)")
    dist, work = args.dist.resolve(), args.work.resolve()
    dist.mkdir(parents=True, exist_ok=True)

    started = time.perf_counter()
    program = bundle(dist, work)
    log(f"bundle {program} ({folder_size(program) / 2**20:.0f} MB) in {time.perf_counter() - started:.0f} s")
    package = deb(program, dist, work, args.compress)
    log(f"{package.name} ({package.stat().st_size / 2**20:.0f} MB)")
    archive = portable_archive(program, dist)
    log(f"{archive.name} ({archive.stat().st_size / 2**20:.0f} MB)")
    if args.skip_tests:
        return 0

    with tempfile.TemporaryDirectory(prefix="winnow-build-check-") as scratch:
        passed = [
            check("bundle", program / NAME),
            check(".deb, unpacked", unpack_deb(package, Path(scratch) / "root")),
            check("portable archive, unpacked", unpack_archive(archive, Path(scratch) / "portable")),
        ]
    log(f"done in {time.perf_counter() - started:.0f} s")
    return 0 if all(passed) else 1


if __name__ == "__main__":
    sys.exit(main())
