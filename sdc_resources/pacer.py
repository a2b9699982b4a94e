"""A client-side rate limit: at most N requests in any sliding window, with an injectable clock."""

import time
from collections import deque
from collections.abc import Callable


class Pacer:
    """Lets at most ``limit`` requests start in any ``window`` seconds; every wait goes through ``sleep``.

    Tests pass a fake ``clock`` and a ``sleep`` that advances it, so no test waits for real time.
    ``sent`` records when each request was let through (on that clock).
    """

    def __init__(
        self,
        limit: int,
        window: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], object] = time.sleep,
    ):
        if limit < 1:
            raise ValueError("a pacer needs a limit of at least one request per window")
        self.limit, self.window, self.clock, self._sleep = limit, window, clock, sleep
        self._recent: deque[float] = deque()
        self.sent: list[float] = []
        self.waited: list[float] = []

    def wait(self, seconds: float) -> None:
        """Pause for ``seconds`` (a back-off or a server's ``Retry-After``)."""
        if seconds > 0:
            self.waited.append(seconds)
            self._sleep(seconds)

    def acquire(self) -> None:
        """Block until one more request fits in the window, then count it."""
        now = self.clock()
        while True:
            while self._recent and self._recent[0] <= now - self.window:
                self._recent.popleft()
            if len(self._recent) < self.limit:
                break
            self.wait(self._recent[0] + self.window - now)
            now = self.clock()
        self._recent.append(now)
        self.sent.append(now)
