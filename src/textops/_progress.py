"""Progress bars on long work, shown only when stderr is an interactive terminal."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Protocol

from textops._util import is_interactive

__all__ = ["Progress", "progress"]


class Progress(Protocol):
    def advance(self, n: int = 1) -> None: ...


class _Silent:
    def advance(self, n: int = 1) -> None:
        pass


class _Rich:
    def __init__(self, bar: object, task: object) -> None:
        self._bar, self._task = bar, task

    def advance(self, n: int = 1) -> None:
        self._bar.advance(self._task, n)  # type: ignore[attr-defined]


@contextlib.contextmanager
def progress(
    description: str, total: int | None, enabled: bool | None = None
) -> Iterator[Progress]:
    """A progress bar (``total`` known) or counter (``total`` None); silent when not a terminal."""
    if enabled is None:
        enabled = is_interactive()
    if not enabled:
        yield _Silent()
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )
    from rich.progress import Progress as RichProgress

    columns = (
        [
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
        ]
        if total is not None
        else [
            SpinnerColumn(),
            TextColumn("{task.description}"),
            TextColumn("{task.completed:,} rows"),
            TimeElapsedColumn(),
        ]
    )
    with RichProgress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(description, total=total)
        yield _Rich(bar, task)
