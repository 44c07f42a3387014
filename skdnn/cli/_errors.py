"""The errors of the command line: one line on stderr, exit code 2."""

import re

#: Exit code of a command that failed on bad input (argparse uses it too).
EXIT_BAD_INPUT = 2


class CommandError(Exception):
    """A problem with the user's input: printed as one line, exit code 2."""


def one_line(text):
    """``text`` as one line: the items of a ``- item`` list joined by ``;``.

    >>> one_line("Not found. Looked in:\\n  - a: x\\n  - b: y\\nPut it there.")
    'Not found. Looked in: a: x; b: y. Put it there.'
    """
    joined, in_list = "", False
    for line in str(text).strip().splitlines():
        line = line.strip()
        item = re.match(r"[-*] ", line) is not None
        if not line:
            continue
        if joined and not joined.endswith((":", ".", ";")):
            joined += ";" if item and in_list else "."
        joined += (" " if joined else "") + (line[2:] if item else line)
        in_list = item
    return joined


def last_line(exc):
    """The last line of an error message, without a ``SomeError: `` prefix
    (the cause, when an error wraps a traceback)."""
    lines = str(exc).strip().splitlines() or [type(exc).__name__]
    return re.sub(r"^[A-Za-z_][\w.]*(Error|Exception): ", "", lines[-1])


def n_rows(n):
    """``"1 row"``, ``"3 rows"``."""
    return f"{n} row" + ("" if n == 1 else "s")
