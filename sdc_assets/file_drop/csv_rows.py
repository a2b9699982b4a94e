"""CSV rows from decoded lines, each with the lines it spans, and the rows that cannot be trusted.

Quoted fields may span lines (command output in ScreenConnect's ``Data``), so one broken quote can
swallow every row after it. A row that spans lines is therefore checked: when one of its continuation
lines is itself a whole row of the file's shape (``is_row_start``), the quote before it was never
closed. The lines up to there are rejected and reading resumes at that line. Lines with a decoding
problem or a NUL byte reject the row they are in. Fields have no size limit short of the file.
"""

from __future__ import annotations

import csv
import re
import sys
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from sdc_assets.file_drop.records import Rejected
from sdc_assets.file_drop.text import Line

csv.field_size_limit(min(sys.maxsize, 2**31 - 1))  # a field may be as long as the file (long command output)
_LONE_CR = re.compile(r"(?<=\r)(?!\n)")


@dataclass(frozen=True)
class Row:
    """A CSV record and the physical lines it came from."""

    first_line: int
    last_line: int
    fields: list[str]

    @property
    def where(self) -> str:
        if self.first_line == self.last_line:
            return f"line {self.first_line}"
        return f"lines {self.first_line}-{self.last_line}"


class _Feed:
    """Lines for ``csv.reader`` that remembers which lines the current row took; lines can be put back."""

    def __init__(self, lines: Iterator[Line]):
        self._lines = lines
        self._back: deque[Line] = deque()
        self.taken: list[Line] = []

    def __iter__(self) -> _Feed:
        return self

    def __next__(self) -> str:
        line = self._back.popleft() if self._back else next(self._lines)
        self.taken.append(line)
        return line.text

    def take(self) -> list[Line]:
        taken, self.taken = self.taken, []
        return taken

    def put_back(self, lines: list[Line]) -> None:
        self._back.extendleft(reversed(lines))


def _physical(lines: Iterator[Line]) -> Iterator[Line]:
    """Split lines that end in a lone carriage return (old Mac line ends), which ``csv`` reads as a line end."""
    for line in lines:
        if "\r" not in line.text[:-2]:
            yield line
            continue
        for piece in _LONE_CR.split(line.text):
            if piece:
                yield Line(line.number, piece, line.problem)


def line_fields(text: str) -> tuple[list[str], bool] | None:
    """The fields one line starts a record with, and whether they are all of it (False: its last field opens a
    quote that continues on the next lines); None when the line is no clean start of a record."""
    line = text.rstrip("\r\n")
    try:
        rows = list(csv.reader([line], strict=True))
        return (rows[0], True) if len(rows) == 1 else None
    except csv.Error as exc:
        if "unexpected end of data" not in str(exc):
            return None
    rows = list(csv.reader([line]))
    return (rows[0][:-1], False) if len(rows) == 1 else None


def csv_rows(lines: Iterator[Line], is_row_start: Callable[[str], bool] | None = None) -> Iterator[Row | Rejected]:
    """Every record of the file in order, or a Rejected for the lines of one that cannot be trusted.

    ``is_row_start`` (set once the header is known) tells whether a line, read alone, is a record of the
    file's shape; without it rows are taken as the CSV reader gives them."""
    feed = _Feed(_physical(lines))
    reader = csv.reader(feed)
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            taken = feed.take()
            yield Rejected(_span(taken), f"CSV error: {exc}", "".join(line.text for line in taken))
            reader = csv.reader(feed)
            continue
        taken = feed.take()
        restart = next(
            (i for i, line in enumerate(taken[1:], start=1) if is_row_start and is_row_start(line.text)), None
        )
        if restart is not None:
            broken, taken = taken[:restart], taken[restart:]
            feed.put_back(taken)
            reader = csv.reader(feed)
            reason = f"a quote opened here is never closed: the row runs into line {taken[0].number}, a row of its own"
            yield Rejected(_span(broken), reason, "".join(line.text for line in broken))
            continue
        if problem := next((_problem(line, taken) for line in taken if line.problem), None):
            yield Rejected(_span(taken), problem, "".join(line.text for line in taken))
            continue
        yield Row(taken[0].number, taken[-1].number, fields)


def _problem(line: Line, taken: list[Line]) -> str:
    return line.problem if len(taken) == 1 else f"line {line.number} {line.problem}"


def _span(taken: list[Line]) -> str:
    if not taken:
        return "end of file"
    first, last = taken[0].number, taken[-1].number
    return f"line {first}" if first == last else f"lines {first}-{last}"
