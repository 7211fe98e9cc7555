"""API keys: in the system keyring (service ``winnow``, user name = the preset's name, ``deepl`` for
DeepL), else in a file only the user can read.

Headless machines and CI have no keyring (``keyring`` falls back to its "fail" backend, or a chainer
with nothing to chain); there the keys go to ``secrets.json`` in the user's config folder
(``app.paths.config_dir()``: ``WINNOW_CONFIG_DIR``, else platformdirs' ``user_config_dir("winnow")``,
or beside the program in portable mode) with permissions 0600,
and :func:`backend_description` says so. No key is ever logged; :func:`redact` hides the keys this process
knows in any text before it is shown or logged.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import stat
import tempfile
import threading
from pathlib import Path

import keyring
import keyring.backend
import keyring.backends.chainer
import keyring.backends.fail
import keyring.errors

from app import paths

log = logging.getLogger("winnow.secrets")

SERVICE = "winnow"
FILE_NAME = "secrets.json"
_MIN_REDACTED_LENGTH = 4
"""Shorter "keys" (a placeholder like "x" for a local server) would blank out ordinary text."""

_lock = threading.Lock()
_known: set[str] = set()
"""Keys stored or read by this process: what :func:`redact` hides."""


def config_dir() -> Path:
    return paths.config_dir()


def secrets_path() -> Path:
    return config_dir() / FILE_NAME


def system_keyring() -> keyring.backend.KeyringBackend | None:
    """The system keyring, or None where there is none worth the name."""
    backend = keyring.get_keyring()
    if isinstance(backend, keyring.backends.fail.Keyring):
        return None
    if isinstance(backend, keyring.backends.chainer.ChainerBackend) and not backend.backends:
        return None
    if type(backend).__module__ == "keyring.backends.null":
        return None
    return backend


def set_key(name: str, key: str) -> None:
    """Store ``key`` under ``name`` (an empty key deletes it)."""
    _check_name(name)
    key = key.strip()
    if not key:
        delete_key(name)
        return
    _remember(key)
    backend = system_keyring()
    if backend is not None:
        try:
            backend.set_password(SERVICE, name, key)
        except keyring.errors.KeyringError as error:
            log.warning(
                "The system keyring refused the %s key (%s); keeping it in %s instead.",
                name,
                type(error).__name__,
                secrets_path(),
            )
        else:
            _file_delete(name)  # one place per key: an older copy in the file goes
            log.info("Stored the %s key in the system keyring.", name)
            return
    _file_set(name, key)
    log.info("Stored the %s key in %s.", name, secrets_path())


def get_key(name: str) -> str | None:
    _check_name(name)
    key: str | None = None
    backend = system_keyring()
    if backend is not None:
        try:
            key = backend.get_password(SERVICE, name)
        except keyring.errors.KeyringError as error:
            log.warning("The system keyring could not be read (%s).", type(error).__name__)
    if not key:
        key = _file_read().get(name) or None
    if key:
        _remember(key)
    return key


def delete_key(name: str) -> None:
    _check_name(name)
    backend = system_keyring()
    if backend is not None:
        with contextlib.suppress(keyring.errors.KeyringError):
            backend.delete_password(SERVICE, name)
    _file_delete(name)


def backend_description() -> str:
    """Where keys are kept, in words for the settings dialog."""
    backend = system_keyring()
    if backend is not None:
        return f"in the system keyring ({_backend_name(backend)})"
    return f"stored in {secrets_path()}, readable only by you; no system keyring found"


def redact(text: str) -> str:
    """``text`` with every key this process knows (and every key in the secrets file) replaced by ``***``."""
    with _lock:
        keys = set(_known)
    keys.update(value for value in _file_read().values() if isinstance(value, str))
    for key in sorted(keys, key=len, reverse=True):  # a key containing another goes first
        if len(key) >= _MIN_REDACTED_LENGTH:
            text = text.replace(key, "***")
    return text


# --- the file -------------------------------------------------------------------------------------


def _file_read() -> dict[str, str]:
    path = secrets_path()
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except OSError as error:
        log.warning("Could not read %s: %s", path, error)
        return {}
    _tighten(path)
    try:
        data = json.loads(raw)
    except ValueError:
        log.warning("%s is not valid JSON; ignoring it.", path)
        return {}
    keys = data.get("keys") if isinstance(data, dict) else None
    if not isinstance(keys, dict):
        return {}
    return {str(name): value for name, value in keys.items() if isinstance(value, str)}


def _file_set(name: str, key: str) -> None:
    with _lock:
        keys = _file_read()
        keys[name] = key
        _file_write(keys)


def _file_delete(name: str) -> None:
    with _lock:
        keys = _file_read()
        if name in keys:
            del keys[name]
            _file_write(keys)


def _file_write(keys: dict[str, str]) -> None:
    path = secrets_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    # mkstemp creates the file 0600 from the start: the key is never readable by others, not even
    # for the moment between writing and a chmod.
    fd, temporary = tempfile.mkstemp(prefix=f".{FILE_NAME}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump({"version": 1, "keys": keys}, handle, ensure_ascii=False, indent=1)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, 0o600)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


def _tighten(path: Path) -> None:
    """A secrets file others can read (copied, restored from a backup) is made private again."""
    if os.name != "posix":
        return
    with contextlib.suppress(OSError):
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            os.chmod(path, 0o600)
            log.warning("%s was readable by others (mode %o); made it private (600).", path, mode)


def _remember(key: str) -> None:
    with _lock:
        _known.add(key)


def _check_name(name: str) -> None:
    if not name or not isinstance(name, str):
        raise ValueError("a key needs a name (the preset's name, or 'deepl')")


def _backend_name(backend: keyring.backend.KeyringBackend) -> str:
    name = getattr(backend, "name", None)
    return str(name) if name else f"{type(backend).__module__}.{type(backend).__name__}"
