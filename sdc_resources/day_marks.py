"""Day marks: what each daily stage last saw of a day, so that an unchanged day costs one comparison.

A mark holds a stage's *state* of the day's inputs when it last finished the day (a digest of the files it
reads: their names, sizes and mtimes) and its *settings* (model, code version, store, reference data). A
stage skips a day whose state and settings equal its mark. A stage that writes the files its upstream stages
read too (analysis writes the sessions linking read) carries their marks forward: an upstream mark that saw
the state it started from sees the state it leaves, since what it wrote is not a change upstream has to redo.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterable
from contextlib import closing
from pathlib import Path

from sdc_resources.batches import batches

SQLITE_PARAMS = 900  # well below SQLite's limit of host parameters per statement
UNCHANGED = {"unchanged_since_last_run": True, "written": 0}
"""The metadata of a day a stage skipped: its inputs are those it last finished the day with."""


def files_state(paths: Iterable[Path]) -> str:
    """A digest of the files (name, size, mtime): equal when none was written, added or removed."""
    digest = hashlib.sha256()
    for path in sorted(paths):
        try:
            stat = path.stat()
        except FileNotFoundError:
            continue
        digest.update(f"{path}|{stat.st_size}|{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:24]


def settings_key(*parts: object) -> str:
    return hashlib.sha256("|".join(str(p) for p in parts).encode()).hexdigest()[:24]


class DayMarks:
    """The marks in one SQLite file (``marks(stage, day, state, settings)``)."""

    def __init__(self, path: Path):
        self.path = Path(path)

    def _db(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(self.path, timeout=60)
        db.execute(
            "CREATE TABLE IF NOT EXISTS marks (stage TEXT, day TEXT, state TEXT, settings TEXT, "
            "PRIMARY KEY (stage, day))"
        )
        return db

    def read(self, stage: str, days: Iterable[str]) -> dict[str, tuple[str, str]]:
        """``day → (state, settings)`` of ``stage`` for those of ``days`` it has a mark for."""
        if not self.path.exists():
            return {}
        found = {}
        with closing(self._db()) as db:
            for part in batches(sorted(set(days)), SQLITE_PARAMS):
                marks = ",".join("?" * len(part))
                query = f"SELECT day, state, settings FROM marks WHERE stage = ? AND day IN ({marks})"
                found |= {day: (state, settings) for day, state, settings in db.execute(query, [stage, *part])}
        return found

    def record(
        self, stage: str, done: list[tuple[str, str, str | None]], settings: str, carry: Iterable[str] = ()
    ) -> None:
        """``stage`` finished each ``(day, state it left, state it started from)`` of ``done``, in one
        transaction; the marks of the ``carry`` stages that saw the state it started from follow."""
        carried = "UPDATE marks SET state = ? WHERE stage = ? AND day = ? AND state = ?"
        with closing(self._db()) as db, db:
            for day, state, before in done:
                for upstream in carry if before is not None and before != state else ():
                    db.execute(carried, (state, upstream, day, before))
            db.executemany(
                "INSERT OR REPLACE INTO marks VALUES (?, ?, ?, ?)",
                [(stage, d, state, settings) for d, state, _ in done],
            )

    def forget(self, stage: str) -> None:
        """Every mark of ``stage``: its next run does every day again."""
        if self.path.exists():
            with closing(self._db()) as db, db:
                db.execute("DELETE FROM marks WHERE stage = ?", (stage,))


class StageDays:
    """One stage's view of its marks in a run: which days are unchanged, and recording the ones it did."""

    def __init__(
        self, marks: DayMarks, stage: str, settings: str, days: Iterable[str], force: bool = False,
        carry: Iterable[str] = (),
    ):  # fmt: skip
        self.marks, self.stage, self.settings, self.carry = marks, stage, settings, tuple(carry)
        self.known = {} if force else marks.read(stage, days)
        self.finished: list[tuple[str, str, str | None]] = []

    def unchanged(self, day: str, state: str) -> bool:
        return self.known.get(day) == (state, self.settings)

    def done(self, day: str, before: str, after: str) -> None:
        """``day`` is finished (recorded by :meth:`save`, all at once)."""
        self.finished.append((day, after, before))

    def save(self) -> None:
        if self.finished:
            self.marks.record(self.stage, self.finished, self.settings, self.carry)
            self.finished = []
