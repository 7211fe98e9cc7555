"""Starting the GUI: the QApplication, the UI language, fonts, and the first project to show."""

from __future__ import annotations

import gc
import logging
import os
import sys
from pathlib import Path

from PySide6.QtCore import QEvent, QLibraryInfo, QLocale, QObject, QTimer, QTranslator
from PySide6.QtGui import QFont, QIcon
from PySide6.QtWidgets import QApplication, QMessageBox

import app
from app import demo, i18n
from app.packages.workpackage import open_project_file
from app.paths import resource_path
from app.store import Project, ProjectError
from widgets import settings

log = logging.getLogger("winnow.gui")

LANGUAGES = {"en": "English", "zh_CN": "简体中文"}
# Tried in order for Chinese text; the first one installed wins (Qt falls back per glyph anyway).
CJK_FAMILIES = ["Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC", "WenQuanYi Micro Hei"]


def ui_language() -> str:
    """The chosen language, else the system's: Chinese for any zh locale, English otherwise."""
    chosen = settings.settings().value("ui/language", "")
    if chosen in LANGUAGES:
        return chosen
    return "zh_CN" if QLocale.system().name().startswith("zh") else "en"


def install_translators(application: QApplication, language: str) -> list[QTranslator]:
    """Load Winnow's and Qt's own translations for ``language``; keep the returned objects alive."""
    installed: list[QTranslator] = []
    if language == "en":
        return installed
    ours = QTranslator(application)
    if ours.load(f"winnow_{language}", str(resource_path("i18n"))):
        application.installTranslator(ours)
        installed.append(ours)
    else:
        log.warning("no %s translation in %s", language, resource_path("i18n"))
    qt_base = QTranslator(application)
    if qt_base.load(f"qtbase_{language}", QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)):
        application.installTranslator(qt_base)
        installed.append(qt_base)
    return installed


def app_icon() -> QIcon:
    """Winnow's icon: the SVG where Qt can draw it, the 256 px PNG for every size otherwise."""
    icon = QIcon(str(resource_path("icons", "winnow.png")))
    icon.addFile(str(resource_path("icons", "winnow.svg")))
    return icon


def make_application(argv: list[str] | None = None) -> QApplication:
    application = QApplication.instance() or QApplication(argv if argv is not None else sys.argv[:1])
    application.setApplicationName("Winnow")
    application.setApplicationVersion(app.__version__)
    application.setOrganizationName("Winnow")
    # Matches the installed winnow.desktop, so desktops (Wayland's above all) show its icon and name.
    application.setDesktopFileName("winnow")
    application.setWindowIcon(app_icon())
    font = QFont(application.font())
    font.setFamilies([font.family(), *CJK_FAMILIES])
    application.setFont(font)
    language = ui_language()
    application._winnow_translators = install_translators(application, language)  # kept alive
    # The texts app/ and workers/ make (QA findings, undo descriptions, errors) in the same language.
    i18n.set_language(language)
    return application


def first_project(path: Path | None) -> Project | None:
    """The project given, else the last one opened, else the demo project (built on first run).

    The project given is opened as :func:`widgets.open_flow.open_interactively` does (read-only when in
    use elsewhere, a backup when damaged, as the user chooses): None when the user declined."""
    from widgets import open_flow

    if path is not None:
        return Project.create(path) if not path.exists() else open_flow.open_interactively(None, path)
    for recent in settings.recent_projects():
        if recent.exists():
            try:
                return open_project_file(recent, lock=True)
            except ProjectError as error:
                log.warning("cannot reopen %s: %s", recent, error)
    return demo.open_demo()


SHOWN_PROBE_ENV = "WINNOW_QUIT_WHEN_SHOWN"
SHOWN_MESSAGE = "winnow: window shown"


class _ShownProbe(QObject):
    """With ``WINNOW_QUIT_WHEN_SHOWN=1``: say when the main window first paints, then quit.

    tests/bench/bench_startup.py times start → window shown from outside the process this way, the
    same for the frozen program and from source.
    """

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint:
            watched.removeEventFilter(self)
            print(SHOWN_MESSAGE, flush=True)
            QTimer.singleShot(0, QApplication.quit)
        return False


def run_gui(path: Path | None = None) -> int:
    application = make_application()
    from widgets import first_run
    from widgets.main_window import MainWindow

    first_start = first_run.needed()
    if first_start and not first_run.ask():
        return 0
    first_run.apply_user_name()
    try:
        # The first start shows the demo project, unless a project was named on the command line.
        project = demo.open_demo() if first_start and path is None else first_project(path)
    except ProjectError as error:
        QMessageBox.critical(None, "Winnow", str(error))
        return 1
    if project is None:  # the user was told why and chose not to open it
        return 1
    window = MainWindow(project)
    if os.environ.get(SHOWN_PROBE_ENV) == "1":
        probe = _ShownProbe(window)
        window.installEventFilter(probe)
    window.show()
    settle_heap()
    code = application.exec()
    window.project.close()
    return code


def settle_heap() -> None:
    """Put what the start made (Qt's wrappers, every module, the window) out of the collector's sight.

    Python's cyclic garbage collector now and then looks at every object there is, holding the GIL,
    wherever it happens to run: with the window open and a job answering ~300 requests a second, one
    such pass froze the window for 76 ms. Objects made at the start live as long as the program, so
    looking at them again finds nothing; after ``gc.freeze()`` a full pass looks only at what came
    later, and costs a fraction of that.
    """
    gc.freeze()
