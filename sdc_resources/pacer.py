"""A client-side rate limit: at most N requests in any sliding window, per account, across processes.

Syncro allows 180 requests a minute per account, whoever sends them: every run step, sensor tick and
``sdc ingest`` on this machine draws from one window kept in a small SQLite ledger beside the data
(:class:`SharedWindow`), so their requests together stay under the limit. Tests pass a fake ``clock``
and a ``sleep`` that advances it, so no test waits for real time.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path


class PacerBusy(Exception):
    """The window is full for longer than the caller is willing to wait (a sensor tick)."""


class LocalWindow:
    """The request times of one process (for replay-free tests and single users)."""

    def __init__(self):
        self._recent: deque[float] = deque()

    def take(self, now: float, limit: int, window: float) -> float:
        """Count a request at ``now`` and return 0, or return how long to wait before one fits."""
        while self._recent and self._recent[0] <= now - window:
            self._recent.popleft()
        if len(self._recent) < limit:
            self._recent.append(now)
            return 0.0
        return self._recent[0] + window - now


class SharedWindow:
    """The request times of one account in a SQLite file that every process on the machine shares."""

    def __init__(self, path: Path, account: str):
        self.path, self.account = Path(path), account
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.execute("CREATE TABLE IF NOT EXISTS requests (account TEXT NOT NULL, at REAL NOT NULL)")
            db.execute("CREATE INDEX IF NOT EXISTS requests_account_at ON requests (account, at)")

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=60, isolation_level=None)

    def take(self, now: float, limit: int, window: float) -> float:
        db = self._connect()
        try:
            db.execute("BEGIN IMMEDIATE")  # one taker at a time, across processes
            db.execute("DELETE FROM requests WHERE account = ? AND at <= ?", (self.account, now - window))
            count, oldest = db.execute(
                "SELECT count(*), min(at) FROM requests WHERE account = ?", (self.account,)
            ).fetchone()
            if count < limit:
                db.execute("INSERT INTO requests (account, at) VALUES (?, ?)", (self.account, now))
                db.execute("COMMIT")
                return 0.0
            db.execute("COMMIT")
            return oldest + window - now
        finally:
            db.close()


class Pacer:
    """Lets at most ``limit`` requests start in any ``window`` seconds; every wait goes through ``sleep``.

    ``shared`` keeps the window where other processes see it too; ``max_wait`` makes a caller that cannot
    wait long (a sensor tick) give up with :class:`PacerBusy` instead. ``sent`` records when each request
    was let through, ``waited`` every pause (on the pacer's clock)."""

    def __init__(
        self,
        limit: int,
        window: float = 60.0,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], object] = time.sleep,
        shared: SharedWindow | None = None,
        max_wait: float | None = None,
    ):
        if limit < 1:
            raise ValueError("a pacer needs a limit of at least one request per window")
        self.limit, self.window, self.clock, self._sleep = limit, window, clock, sleep
        self._window = shared or LocalWindow()
        self.max_wait = max_wait
        self.sent: list[float] = []
        self.waited: list[float] = []
        self.lock = threading.Lock()
        """Held from taking a place until the request is answered: this process's requests go out one by one."""

    def wait(self, seconds: float) -> None:
        """Pause for ``seconds`` (a back-off or a server's ``Retry-After``)."""
        if seconds > 0:
            self.waited.append(seconds)
            self._sleep(seconds)

    def acquire(self) -> None:
        """Block until one more request fits in the window, then count it."""
        while True:
            now = self.clock()
            pause = self._window.take(now, self.limit, self.window)
            if pause <= 0:
                self.sent.append(now)
                return
            if self.max_wait is not None and pause > self.max_wait:
                raise PacerBusy(f"the rate limit of {self.limit} requests a minute is in use for {pause:.0f} s more")
            self.wait(pause)
