"""Translations of the texts app/ and workers/ make, with the standard library's ``gettext`` (no Qt).

The GUI's own texts go through Qt (``tr()``, resources/i18n/winnow_*.ts); the texts made here — QA
findings, undo descriptions, errors, job failure reasons — go through this module, from the catalog
``resources/i18n/app_<language>.po`` compiled to ``.mo`` by packaging/build_app_translations.py.

Two kinds of text, two markers (both found by that script's extractor):

``_("import {name}").format(name=…)`` / ``ngettext(singular, plural, n)``
    A text shown right away (an error the GUI puts in a dialog, a line the command line prints): it is
    translated when made, into the language of :func:`set_language`.
``N_("import {name}").format(name=…)``
    A text that is *stored* (an operation's summary in the project file, a QA finding in
    ``sample_flags.detail``, a job's failure reason): it is made in English, so the project file stays
    the same whoever wrote it, and :func:`display` translates it where it is shown by matching it
    against the catalog's templates (placeholders become the values found, themselves translated).
    Projects made before this module get their undo history translated the same way.

The default language is English: nothing is translated until :func:`set_language` is called. The GUI
calls it with its language setting; the command line with :func:`language_from_environment`.
"""

from __future__ import annotations

import gettext
import os
import re
import string
import threading
from functools import lru_cache

from app.paths import resource_path

DOMAIN = "app"
LANGUAGES = ("en", "zh_CN")

_lock = threading.Lock()
_current: gettext.NullTranslations = gettext.NullTranslations()
_language = "en"


def set_language(language: str) -> str:
    """Translate into ``language`` from now on (``en``, ``zh_CN``, or a locale such as ``zh_CN.UTF-8``).

    Unknown languages and a missing catalog fall back to English. Returns the language in use."""
    global _current, _language
    code = normalize(language)
    translations: gettext.NullTranslations = gettext.NullTranslations()
    if code != "en":
        # resources/i18n/app_<language>.mo beside Qt's winnow_<language>.qm, not gettext's
        # <dir>/<language>/LC_MESSAGES/ tree: one folder of translations, bundled as one.
        try:
            with open(resource_path("i18n", f"{DOMAIN}_{code}.mo"), "rb") as mo:
                translations = gettext.GNUTranslations(mo)
        except OSError:
            code = "en"
    with _lock:
        _current, _language = translations, code
        _templates.cache_clear()
    return code


def normalize(language: str | None) -> str:
    """``zh``, ``zh_CN.UTF-8``, ``zh-Hans`` → ``zh_CN``; anything else → ``en``."""
    if language and language.replace("-", "_").lower().startswith("zh"):
        return "zh_CN"
    return "en"


def language_from_environment() -> str:
    """The language the environment asks for, as gettext reads it (LANGUAGE, LC_ALL, LC_MESSAGES, LANG)."""
    for variable in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(variable)
        if value:
            return normalize(value.split(":")[0])
    return "en"


def current_language() -> str:
    return _language


def _(message: str) -> str:
    """``message`` in the current language (itself when untranslated)."""
    return _current.gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The form of a message for count ``n`` in the current language (Chinese has one form)."""
    return _current.ngettext(singular, plural, n)


def N_(message: str) -> str:  # gettext's name for the no-op marker
    """Mark a stored English template for the catalog; returns it unchanged (see :func:`display`)."""
    return message


# Showing stored texts

_FIELD = re.compile(r"\{(\w+)\}")


@lru_cache(maxsize=1)
def _templates() -> list[tuple[re.Pattern[str], str, bool]]:
    """(pattern, translation, vague) for every catalog template with placeholders, the most specific
    (most literal text) first. Stored texts use no plural forms: their counts are placeholders like any.

    A *vague* template has no words of its own (``{field}: {message}``): it claims a text only when a
    value in it is a text of the catalog, so that "note: see above" is not taken for a finding."""
    # GNUTranslations keeps its entries in ``_catalog`` (CPython since 2.x); gettext has no public way
    # to list them, and the templates are exactly the entries.
    catalog = getattr(_current, "_catalog", None) or {}
    found: list[tuple[int, re.Pattern[str], str, bool]] = []
    for msgid, translation in catalog.items():
        if not isinstance(msgid, str) or "{" not in msgid:
            continue
        pattern = _pattern(msgid)
        if pattern is not None:
            literal = _FIELD.sub("", msgid)
            found.append((len(literal), pattern, translation, not re.search("[A-Za-z]", literal)))
    found.sort(key=lambda item: -item[0])
    return [(pattern, translation, vague) for _length, pattern, translation, vague in found]


# What a placeholder can match, by its name: a count is digits, a content path has no spaces. The
# narrower, the fewer texts a template claims that it did not make.
_VALUE = {
    **dict.fromkeys(("n", "id", "offset", "count", "total", "left", "agreed", "checked", "times", "i"), r"[\d,]+"),
    "field": r"[\w.\[\]]+",
}
# Values that are themselves stored texts, shown translated: a finding in "{field}: {message}", a
# reason in "gave up after {n} attempts: {reason}". Others (file names, snippets of a sample, a
# provider's own error) are shown as they are.
_TRANSLATED_VALUES = frozenset({"message", "reason", "what", "found", "expected", "budget", "stage", "status", "kind"})


def _pattern(template: str) -> re.Pattern[str] | None:
    parts: list[str] = []
    names: set[str] = set()
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError:
        return None
    for literal, name, _spec, _conversion in parsed:
        parts.append(re.escape(literal))
        if name is None:
            continue
        if not name.isidentifier():
            return None
        if name in names:
            parts.append(f"(?P={name})")
        else:
            names.add(name)
            parts.append(f"(?P<{name}>{_VALUE.get(name, '.+?')})")
    return re.compile("".join(parts), re.S)


def display(text: str, *, _depth: int = 0) -> str:
    """A stored English text in the current language: itself when no catalog template made it.

    Plain catalog entries are looked up as they are; a text made from a template with placeholders
    (``import {name}``) is matched against it, and the values found are shown translated in turn
    (a finding inside "{where}: {message}")."""
    if _language == "en" or not text or _depth > 3:
        return text
    plain = _current.gettext(text)
    if plain != text:
        return plain
    for pattern, translation, vague in _templates():
        match = pattern.fullmatch(text)
        if match is None:
            continue
        found = match.groupdict()
        values = {
            name: display(value, _depth=_depth + 1) if name in _TRANSLATED_VALUES else value
            for name, value in found.items()
        }
        if vague and values == found:
            continue
        try:
            return translation.format(**values)
        except (KeyError, IndexError, ValueError):
            return text
    return text
