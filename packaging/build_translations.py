"""Build Winnow's UI translations: update resources/i18n/winnow_<lang>.ts from the sources, compile the .qm.

    python packaging/build_translations.py            # update the .ts (keeping translations), write the .qm
    python packaging/build_translations.py --check    # exit 1 if the .ts or the .qm is out of date

Sources are every .py under widgets/. pyside6-lupdate sees ``self.tr(…)`` and
``QCoreApplication.translate("Context", …)``; two patterns it cannot see are found here with ``ast`` and
handed to it as ``QT_TRANSLATE_NOOP`` lines in a generated file:

* calls of a module-level wrapper ``def _tr(text): return QCoreApplication.translate("Context", text)``;
* ``widget.tr("…")`` on a parameter of a module-level function, called as ``function(self, …)`` from a
  class: the text belongs to that class's context (PySide's ``tr`` looks the text up under the class).

``--check`` fails when the sources have texts the .ts lacks, the .ts keeps texts the sources dropped,
a message is unfinished, or the .qm is missing or differs from what lrelease makes of the .ts now.
"""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

# _i18n_common sits beside this file; its folder is on the path for this import only (winnow.spec loads this
# file by path, and packaging/ on the path for good would let packaging/build.py shadow other modules).
sys.path.insert(0, str(Path(__file__).resolve().parent))
try:
    import _i18n_common as common
    from _i18n_common import I18N, REPO
finally:
    sys.path.pop(0)

SOURCES = REPO / "widgets"


def tool(name: str) -> str:
    """A PySide6 tool: beside this Python (the venv's bin/ or Scripts/), else on PATH."""
    for folder in (Path(sys.executable).parent, Path(sys.prefix) / "bin", Path(sys.prefix) / "Scripts"):
        for candidate in (folder / name, folder / f"{name}.exe"):
            if candidate.exists():
                return str(candidate)
    found = shutil.which(name)
    if found is None:
        sys.exit(f"build_translations: {name} not found (install PySide6 into this Python's environment)")
    return found


def source_files() -> list[Path]:
    return sorted(p for p in SOURCES.rglob("*.py") if "__pycache__" not in p.parts)


# Texts lupdate cannot see


def _wrapper_context(function: ast.FunctionDef) -> str | None:
    """The context when ``function`` is ``def f(text): return <…>.translate("Context", text)``."""
    if not function.args.args or len(function.body) != 1 or not isinstance(function.body[0], ast.Return):
        return None
    call = function.body[0].value
    if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and call.func.attr == "translate"):
        return None
    if len(call.args) < 2 or not isinstance(call.args[1], ast.Name):
        return None
    if call.args[1].id != function.args.args[0].arg:
        return None
    return common.constant_str(call.args[0])


def hidden_texts(path: Path) -> list[tuple[str, str]]:
    """(context, text) pairs in ``path`` that lupdate would miss or file under the wrong context."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    module_functions = [n for n in tree.body if isinstance(n, ast.FunctionDef)]
    wrappers = {f.name: ctx for f in module_functions if (ctx := _wrapper_context(f))}
    found: list[tuple[str, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in wrappers and node.args:
            text = common.constant_str(node.args[0])
            if text is not None:
                found.append((wrappers[node.func.id], text))
    # widget.tr("…") inside a module-level function: the contexts of the classes that pass themselves in.
    callers: dict[str, set[str]] = {}
    for cls in (n for n in ast.walk(tree) if isinstance(n, ast.ClassDef)):
        for call in (n for n in ast.walk(cls) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)):
            for position, argument in enumerate(call.args):
                if isinstance(argument, ast.Name) and argument.id == "self":
                    callers.setdefault(f"{call.func.id}:{position}", set()).add(cls.name)
    for function in module_functions:
        for position, parameter in enumerate(function.args.args):
            contexts = callers.get(f"{function.name}:{position}", set())
            for call in ast.walk(function):
                if (
                    isinstance(call, ast.Call)
                    and isinstance(call.func, ast.Attribute)
                    and call.func.attr == "tr"
                    and isinstance(call.func.value, ast.Name)
                    and call.func.value.id == parameter.arg
                    and call.args
                    and (text := common.constant_str(call.args[0])) is not None
                ):
                    found.extend((context, text) for context in sorted(contexts))
    return found


def noop_source(folder: Path) -> Path:
    """A Python file of QT_TRANSLATE_NOOP lines for the texts lupdate cannot see."""
    lines = ["# Generated by packaging/build_translations.py for lupdate; never imported.\n"]
    for path in source_files():
        for context, text in hidden_texts(path):
            lines.append(f"QT_TRANSLATE_NOOP({context!r}, {text!r})\n")
    target = folder / "winnow_hidden_texts.py"
    target.write_text("".join(lines), encoding="utf-8")
    return target


# Running the Qt tools


def run(command: list[str]) -> None:
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        sys.exit(f"build_translations: {' '.join(command)} failed:\n{result.stdout}{result.stderr}")


def lupdate(ts: Path) -> None:
    """Create or update ``ts`` from the sources, keeping translations and dropping texts no source has."""
    with tempfile.TemporaryDirectory() as folder:
        extra = noop_source(Path(folder))
        files = [str(p) for p in source_files()] + [str(extra)]
        # No line numbers: the .ts changes only when texts do, not whenever someone edits a widget.
        run([tool("pyside6-lupdate"), *files, "-no-obsolete", "-locations", "none", "-silent", "-ts", str(ts)])


def lrelease(ts: Path, qm: Path) -> None:
    run([tool("pyside6-lrelease"), "-silent", str(ts), "-qm", str(qm)])


# Reading a .ts


def messages(ts: Path) -> dict[tuple[str, str, str], ET.Element]:
    """Every message of ``ts`` by (context, source, disambiguation comment)."""
    found: dict[tuple[str, str, str], ET.Element] = {}
    for context in ET.parse(ts).getroot().iter("context"):
        name = context.findtext("name") or ""
        for message in context.iter("message"):
            found[(name, message.findtext("source") or "", message.findtext("comment") or "")] = message
    return found


def unfinished(ts: Path) -> list[tuple[str, str, str]]:
    result = []
    for key, message in messages(ts).items():
        translation = message.find("translation")
        if translation is None or translation.get("type") in ("unfinished", "obsolete", "vanished"):
            result.append(key)
            continue
        forms = translation.findall("numerusform")
        texts = [f.text for f in forms] if message.get("numerus") == "yes" else [translation.text]
        if not texts or not all(texts):
            result.append(key)
    return result


def check(language: str) -> list[str]:
    ts, qm = I18N / f"winnow_{language}.ts", I18N / f"winnow_{language}.qm"
    if not ts.exists():
        return [f"{ts.relative_to(REPO)} is missing: run packaging/build_translations.py"]
    problems = []
    with tempfile.TemporaryDirectory() as folder:
        fresh = Path(folder) / ts.name
        shutil.copyfile(ts, fresh)
        lupdate(fresh)
        before, after = set(messages(ts)), set(messages(fresh))
        for context, source, _ in sorted(after - before):
            problems.append(f"new text in the sources, not in the .ts: [{context}] {source!r}")
        for context, source, _ in sorted(before - after):
            problems.append(f"text in the .ts that no source has any more: [{context}] {source!r}")
        for context, source, _ in unfinished(ts):
            problems.append(f"untranslated or unfinished: [{context}] {source!r}")
    problems += common.compiled_problems(ts, qm, lrelease)
    return problems


def build(language: str) -> None:
    ts, qm = I18N / f"winnow_{language}.ts", I18N / f"winnow_{language}.qm"
    I18N.mkdir(parents=True, exist_ok=True)
    lupdate(ts)
    lrelease(ts, qm)
    total, left = len(messages(ts)), unfinished(ts)
    print(f"{ts.relative_to(REPO)}: {total} texts, {len(left)} untranslated; wrote {qm.relative_to(REPO)}")
    for context, source, _ in left:
        print(f"  untranslated: [{context}] {source!r}")


def main(argv: list[str] | None = None) -> int:
    os.chdir(REPO)
    return common.main(argv, __doc__, "build_translations", check, build)


if __name__ == "__main__":
    sys.exit(main())
