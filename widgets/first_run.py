"""The first start: the UI language, the annotator's name and role, then the demo project.

Asked once per user (per portable copy in portable mode): the answers go to the settings as
``ui/language``, ``user/name``, ``user/role`` and ``first_run/done``. The name is who the changes are
recorded as (:func:`apply_user_name`); the role is the review stage the person works at.

Not asked when ``WINNOW_USER`` is set: whoever set it (a script, the test suite, a lab machine's
login script) has said who is working, and a dialog would only be in the way.
"""

from __future__ import annotations

import getpass
import os

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, Qt
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from widgets import settings
from widgets.application import LANGUAGES, app_icon, install_translators, ui_language

DONE_KEY = "first_run/done"
NAME_KEY = "user/name"
ROLE_KEY = "user/role"
LANGUAGE_KEY = "ui/language"
# The three review stages of DESIGN.md (annotate, inspect, expert), as the people who do them.
ROLES = {
    "annotator": QT_TRANSLATE_NOOP("FirstRunDialog", "Annotator"),
    "inspector": QT_TRANSLATE_NOOP("FirstRunDialog", "Inspector"),
    "expert": QT_TRANSLATE_NOOP("FirstRunDialog", "Expert"),
}
DEFAULT_ROLE = "annotator"


def needed() -> bool:
    """True until the first-run questions have been answered (and never with ``WINNOW_USER`` set)."""
    if os.environ.get("WINNOW_USER", "").strip():
        return False
    return settings.settings().value(DONE_KEY, False, bool) is not True


def user_name() -> str:
    """The name given at the first start, or ''."""
    return str(settings.settings().value(NAME_KEY, "") or "").strip()


def user_role() -> str:
    """The role given at the first start (``annotator``, ``inspector``, ``expert``), annotator by default."""
    role = settings.settings().value(ROLE_KEY, DEFAULT_ROLE)
    return role if role in ROLES else DEFAULT_ROLE


_name_we_set: str | None = None
"""The name :func:`apply_user_name` put into ``WINNOW_USER``: a later change of name may replace it,
where a ``WINNOW_USER`` the person set themselves is left alone."""


def apply_user_name() -> None:
    """Record changes under the remembered name; ``WINNOW_USER``, when set, still wins.

    ``app.store.project.default_author`` reads ``WINNOW_USER``: setting it here reaches every project
    this process opens (and the job engine's connections) without the GUI passing the name around.
    """
    global _name_we_set
    name = user_name()
    if name and not name_is_fixed_by_environment():
        os.environ["WINNOW_USER"] = _name_we_set = name


def name_is_fixed_by_environment() -> bool:
    """True when ``WINNOW_USER`` was set outside Winnow: that name wins over the one in the settings."""
    current = os.environ.get("WINNOW_USER", "").strip()
    return bool(current) and current != _name_we_set


def _login_name() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return ""


class FirstRunDialog(QDialog):
    """Language, name and role. The language applies at once, so the rest is read in it."""

    def __init__(self, parent: QWidget | None = None, *, editing: bool = False) -> None:
        super().__init__(parent)
        self.editing = editing
        """Asked again from the File menu (name and role only), not at the first start."""
        self.setObjectName("first_run_dialog")
        self.setWindowIcon(app_icon())
        self._translators = []
        self.title = QLabel()
        self.title.setObjectName("first_run_title")
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * 1.4)
        font.setBold(True)
        self.title.setFont(font)
        self.intro = QLabel()
        self.intro.setWordWrap(True)
        self.language = QComboBox()
        self.language.setObjectName("first_run_language")
        for code, name in LANGUAGES.items():
            self.language.addItem(name, code)
        self.language.setCurrentIndex(max(0, self.language.findData(ui_language())))
        self.name = QLineEdit(user_name() or _login_name())
        self.name.setObjectName("first_run_name")
        self.name.setMaxLength(80)
        self.role = QComboBox()
        self.role.setObjectName("first_run_role")
        for code in ROLES:
            self.role.addItem("", code)
        self.role.setCurrentIndex(max(0, self.role.findData(user_role())))
        # Buttons of our own: a standard button box resets standard buttons' texts to Qt's on every
        # language change, which would undo "Start" and "Quit".
        self.buttons = QDialogButtonBox()
        self.start_button = self.buttons.addButton("", QDialogButtonBox.ButtonRole.AcceptRole)
        self.start_button.setObjectName("first_run_start")
        self.start_button.setDefault(True)
        self.quit_button = self.buttons.addButton("", QDialogButtonBox.ButtonRole.RejectRole)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

        self.form = QFormLayout()
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        # Before a language is chosen the person may read either: this one label says both.
        language_label = QLabel("Language / 语言")
        language_label.setBuddy(self.language)
        self.form.addRow(language_label, self.language)
        self.name_label = QLabel()
        self.name_label.setBuddy(self.name)
        self.form.addRow(self.name_label, self.name)
        self.role_label = QLabel()
        self.role_label.setBuddy(self.role)
        self.form.addRow(self.role_label, self.role)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(self.intro)
        layout.addSpacing(8)
        layout.addLayout(self.form)
        layout.addStretch(1)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(460)

        self.language.currentIndexChanged.connect(self._language_changed)
        self.name.textChanged.connect(self._update_ok)
        self.retranslate()
        self._update_ok()

    def retranslate(self) -> None:
        if self.editing:
            self.setWindowTitle(self.tr("Your name and role"))
            self.title.setText(self.tr("Your name and role"))
            self.intro.setText(
                self.tr("The changes you make from now on are recorded under this name; what is done stays as it was.")
            )
        else:
            self.setWindowTitle(self.tr("Welcome to Winnow"))
            self.title.setText(self.tr("Welcome to Winnow"))
            self.intro.setText(
                self.tr(
                    "Choose the language of the program and say who you are: every change you make is recorded "
                    "under your name. Then the demo project opens, to try things out."
                )
            )
        self.name_label.setText(self.tr("Your &name"))
        self.role_label.setText(self.tr("Your &role"))
        self.name.setPlaceholderText(self.tr("As your team knows you, e.g. 张伟"))
        for index in range(self.role.count()):
            self.role.setItemText(index, QCoreApplication.translate("FirstRunDialog", ROLES[self.role.itemData(index)]))
        self.start_button.setText(self.tr("&OK") if self.editing else self.tr("&Start"))
        self.quit_button.setText(self.tr("&Cancel") if self.editing else self.tr("&Quit"))

    def chosen_language(self) -> str:
        return self.language.currentData()

    def _language_changed(self) -> None:
        application = QApplication.instance()
        for translator in getattr(application, "_winnow_translators", []):
            application.removeTranslator(translator)
        application._winnow_translators = install_translators(application, self.chosen_language())
        self.retranslate()

    def _update_ok(self) -> None:
        self.start_button.setEnabled(bool(self.name.text().strip()))

    def accept(self) -> None:
        name = self.name.text().strip()
        if not name:
            return
        store = settings.settings()
        store.setValue(LANGUAGE_KEY, self.chosen_language())
        store.setValue(NAME_KEY, name)
        store.setValue(ROLE_KEY, self.role.currentData())
        store.setValue(DONE_KEY, True)
        store.sync()
        super().accept()


def edit_user(parent: QWidget | None = None) -> bool:
    """Ask for the name and role again (File menu); True when changed. The new name applies at once."""
    dialog = FirstRunDialog(parent, editing=True)
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return False
    apply_user_name()
    return True


def ask(parent: QWidget | None = None) -> bool:
    """Show the first-run dialog; True when answered, False when the person quit."""
    dialog = FirstRunDialog(parent)
    dialog.setWindowModality(Qt.WindowModality.ApplicationModal)
    return dialog.exec() == QDialog.DialogCode.Accepted
