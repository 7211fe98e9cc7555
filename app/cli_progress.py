"""The command line's progress bar (app.cli, app.cli_quality): on a terminal only, so scripts and CI logs
get the summary line alone."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from tqdm import tqdm


@contextmanager
def progress(description: str, unit: str = "rec", total: int | None = None) -> Iterator[Callable[[int], None]]:
    """A bar fed with how many are done so far (not how many more)."""
    bar = tqdm(desc=description, total=total, unit=unit, unit_scale=True, disable=not sys.stderr.isatty(), leave=False)
    last = 0

    def update(done: int) -> None:
        nonlocal last
        bar.update(done - last)
        last = done

    try:
        yield update
    finally:
        bar.close()
