"""Opening a project in the GUI, and what to offer when it cannot be opened as usual.

- another Winnow has it (its lock), or the file cannot be written: offer to open it read-only;
- the file is damaged: offer to restore its latest backup (the damaged file is kept beside it);
- anything else (a newer Winnow's file, not a project): say so.

The GUI locks every project it opens for writing (see :mod:`app.store.lock`).
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QMessageBox, QWidget

from app import backup
from app.packages.workpackage import open_project_file
from app.store.project import (
    CorruptProjectError,
    NewerProjectError,
    Project,
    ProjectError,
    ProjectLockedError,
    ReadOnlyProjectError,
)

log = logging.getLogger("winnow.gui")


def open_interactively(parent: QWidget | None, path: Path) -> Project | None:
    """The project at ``path``, opened and locked, or read-only, or restored, as the user chooses;
    None if they chose not to open it (they were told why). Raises nothing."""
    try:
        return open_project_file(path, lock=True)
    except (ProjectLockedError, ReadOnlyProjectError) as error:
        return _offer_read_only(parent, path, error)
    except CorruptProjectError as error:
        return _offer_backup(parent, path, error)
    except NewerProjectError as error:
        QMessageBox.warning(parent, QCoreApplication.translate("OpenFlow", "Cannot open the project"), str(error))
        return None
    except ProjectError as error:
        # A project file that no longer reads as one (its first page overwritten) but has backups.
        if path.is_file() and backup.list_backups(path):
            return _offer_backup(parent, path, error)
        QMessageBox.warning(parent, QCoreApplication.translate("OpenFlow", "Cannot open the project"), str(error))
        return None


def _offer_read_only(parent: QWidget | None, path: Path, error: ProjectError) -> Project | None:
    if not _ask(
        parent,
        QMessageBox.Icon.Warning,
        QCoreApplication.translate("OpenFlow", "The project is in use"),
        str(error),
        QCoreApplication.translate("OpenFlow", "Open read-only"),
    ):
        return None
    try:
        return open_project_file(path, read_only=True)
    except ProjectError as again:
        QMessageBox.warning(parent, QCoreApplication.translate("OpenFlow", "Cannot open the project"), str(again))
        return None


def _offer_backup(parent: QWidget | None, path: Path, error: ProjectError) -> Project | None:
    found = backup.list_backups(path)
    if not found:
        QMessageBox.critical(
            parent,
            QCoreApplication.translate("OpenFlow", "The project is damaged"),
            str(error) + "\n\n" + QCoreApplication.translate("OpenFlow", "There is no backup of it to restore."),
        )
        return None
    latest = found[0]
    when = f"{latest.created.astimezone():%Y-%m-%d %H:%M:%S}"
    if not _ask(
        parent,
        QMessageBox.Icon.Critical,
        QCoreApplication.translate("OpenFlow", "The project is damaged"),
        str(error)
        + "\n\n"
        + QCoreApplication.translate(
            "OpenFlow", "Restore the latest backup, taken {0} ({1})? The damaged file is kept beside it."
        )
        .replace("{0}", when)
        .replace("{1}", latest.reason),
        QCoreApplication.translate("OpenFlow", "Restore the latest backup"),
    ):
        return None
    try:
        aside = backup.restore_damaged(path, latest.path)
        log.warning("restored %s from %s; the damaged file is %s", path, latest.path, aside)
        return open_project_file(path, lock=True)
    except (ProjectError, OSError) as again:
        QMessageBox.critical(parent, QCoreApplication.translate("OpenFlow", "Cannot restore the backup"), str(again))
        return None


def _ask(parent: QWidget | None, icon: QMessageBox.Icon, title: str, text: str, accept: str) -> bool:
    """Whether the user chose ``accept`` (the default button) over Cancel."""
    box = QMessageBox(icon, title, text, parent=parent)
    button = box.addButton(accept, QMessageBox.ButtonRole.AcceptRole)
    box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(button)
    box.exec()
    return box.clickedButton() is button
