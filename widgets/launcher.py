"""The ``winnow`` command: the GUI with no command (or a project file), the command line otherwise.

Qt is imported only for the GUI, so ``winnow import …`` runs on a server without a display.

Options of the program itself, before anything else: ``--self-test`` checks this copy of Winnow
(:mod:`widgets.selftest`; what the installers' smoke test runs), ``--portable`` keeps settings and
data beside the program, ``--paths`` prints where they are (:mod:`app.paths`).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path

from app import cli


def wants_gui(argv: Sequence[str]) -> bool:
    """No arguments, or one that is a project file (or work package) rather than a command or an option."""
    if not argv:
        return True
    first = argv[0]
    return (
        len(argv) == 1
        and first not in cli.COMMANDS
        and not first.startswith("-")
        and Path(first).suffix in (".winnow", ".winnowpkg")  # a project, or a work package to work through
    )


SELF_TEST = "--self-test"
PORTABLE = "--portable"
PATHS = "--paths"


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if PORTABLE in args:
        args.remove(PORTABLE)
        os.environ["WINNOW_PORTABLE"] = "1"  # read by app.paths, here and in any child process
    if args == [SELF_TEST]:
        from widgets.selftest import run_self_test

        return run_self_test()
    if args == [PATHS]:
        from app import paths

        print(f"settings: {paths.config_dir()}\ndata: {paths.data_dir()}\nportable: {paths.portable()}")
        return 0
    # Machine jobs live in workers/, which app/ may not import: dispatch them here.
    from workers import cli_run

    command = next((arg for arg in args if not arg.startswith("-")), None)  # after -v and the like
    if command in cli_run.RUN_COMMANDS:
        return cli_run.main(args)
    if not wants_gui(args):
        return cli.main(args)
    from widgets.application import run_gui

    return run_gui(Path(args[0]) if args else None)
