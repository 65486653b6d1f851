"""One option named for every caller: the Python keyword and the CLI flag in one phrase, so a
library error does not tell a Python user to pass a flag they have no command line for."""

from __future__ import annotations


def option(name: str, value: str = "NAME") -> str:
    """``text_col=NAME (--text-col NAME on the command line)``."""
    flag = "--" + name.replace("_", "-")
    return f"{name}={value} ({flag} {value} on the command line)"
