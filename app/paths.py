"""Where Winnow's own files are, in a source checkout and in the frozen (PyInstaller) build alike, and
where the user's settings and data go: the platform's places (platformdirs), or beside the program in
portable mode.

Portable mode keeps everything in ``winnow-data/`` next to the program, so a copy on a USB stick or an
unpacked ``.tar.gz`` leaves nothing behind on the machine. It is on when a file named ``portable``
sits beside the executable (the portable archive ships one), when ``--portable`` is given (the
launcher sets ``WINNOW_PORTABLE``), or when ``WINNOW_PORTABLE=1``.

``WINNOW_CONFIG_DIR`` still wins for the settings and secrets (every test gets its own).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import platformdirs

APP_NAME = "winnow"
PORTABLE_MARKER = "portable"
PORTABLE_DATA = "winnow-data"


def frozen() -> bool:
    """True in the PyInstaller build."""
    return bool(getattr(sys, "frozen", False))


def program_dir() -> Path:
    """The folder of the program the user started: the executable's when frozen, the checkout otherwise."""
    if frozen():
        return Path(sys.executable).resolve().parent
    return Path(__file__).resolve().parent.parent


def resources_dir() -> Path:
    # PyInstaller unpacks data files under sys._MEIPASS; from source they sit beside app/.
    frozen_root = getattr(sys, "_MEIPASS", None)
    if frozen_root:
        return Path(frozen_root) / "resources"
    return Path(__file__).resolve().parent.parent / "resources"


def resource_path(*parts: str) -> Path:
    return resources_dir().joinpath(*parts)


def portable() -> bool:
    """Settings and data beside the program rather than in the user's folders."""
    if os.environ.get("WINNOW_PORTABLE", "").strip() not in ("", "0"):
        return True
    return frozen() and (program_dir() / PORTABLE_MARKER).is_file()


def portable_root() -> Path:
    return program_dir() / PORTABLE_DATA


def config_dir() -> Path:
    """The settings file and the secrets file fall-back live here."""
    override = os.environ.get("WINNOW_CONFIG_DIR")
    if override:
        return Path(override)
    if portable():
        return portable_root() / "config"
    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False))


def data_dir() -> Path:
    """The user's own files that are not settings: the demo project, logs."""
    if portable():
        return portable_root() / "data"
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))
