"""What build_translations.py (Qt .ts/.qm for widgets/) and build_app_translations.py (gettext .po/.mo for
app/ and workers/) share: where the catalogs live, the literal-text test of their ``ast`` extractors, and
the command line (build, or ``--check``: exit 1 and list the problems)."""

from __future__ import annotations

import argparse
import ast
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
I18N = REPO / "resources" / "i18n"
LANGUAGES = ["zh_CN"]


def shown(path: Path) -> Path:
    """A path as problems name it: relative to the repository when inside it."""
    return path.relative_to(REPO) if path.is_relative_to(REPO) else path


def compiled_problems(catalog: Path, compiled: Path, compile_to: Callable[[Path, Path], None]) -> list[str]:
    """What is wrong with the compiled catalog (.qm, .mo) of ``catalog``: missing, or not what
    ``compile_to(catalog, out)`` makes of it now."""
    if not compiled.exists():
        return [f"{shown(compiled)} is missing"]
    with tempfile.TemporaryDirectory() as folder:
        fresh = Path(folder) / compiled.name
        compile_to(catalog, fresh)
        if fresh.read_bytes() != compiled.read_bytes():
            return [f"{shown(compiled)} does not match {catalog.name}: rebuild it"]
    return []


def constant_str(node: ast.AST) -> str | None:
    """The text of a string literal, else None."""
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def main(
    argv: list[str] | None,
    doc: str,
    script: str,
    check: Callable[[str], list[str]],
    build: Callable[[str], None],
) -> int:
    """Run ``build`` per language, or with --check print ``check``'s problems to stderr and return 1 if any.
    ``script`` is the file's stem, for the last line of a failed check."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if anything is out of date")
    parser.add_argument("languages", nargs="*", default=LANGUAGES, help=f"default: {' '.join(LANGUAGES)}")
    args = parser.parse_args(argv)
    if args.check:
        problems = [p for language in args.languages for p in check(language)]
        for problem in problems:
            print(problem, file=sys.stderr)
        if problems:
            print(f"{script}: out of date; run packaging/{script}.py", file=sys.stderr)
        return 1 if problems else 0
    for language in args.languages:
        build(language)
    return 0
