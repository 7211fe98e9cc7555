"""The user's settings (window layout, recent projects, language, place in each project).

One INI file per user, in ``app.paths.config_dir()`` (the platform's place, beside the program in portable
mode; ``WINNOW_CONFIG_DIR`` points elsewhere: every test gets its own).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings

from app import paths

MAX_RECENT = 10


def settings_path() -> Path:
    return paths.config_dir() / "winnow.ini"


def settings() -> QSettings:
    return QSettings(str(settings_path()), QSettings.Format.IniFormat)


def recent_projects() -> list[Path]:
    values = settings().value("recent/projects", [], list) or []
    return [Path(v) for v in values if v]


def remember_project(path: Path) -> None:
    store = settings()
    entries = [str(path.resolve())] + [str(p) for p in recent_projects() if p.resolve() != path.resolve()]
    store.setValue("recent/projects", entries[:MAX_RECENT])


def last_position(project: Path) -> int | None:
    value = settings().value(f"position/{_key(project)}")
    return int(value) if value not in (None, "") else None


def remember_position(project: Path, sample_id: int) -> None:
    settings().setValue(f"position/{_key(project)}", sample_id)


def _key(project: Path) -> str:
    # QSettings treats '/' and '\\' as groups: keep the key one flat name.
    return str(project.resolve()).replace("/", "|").replace("\\", "|")
