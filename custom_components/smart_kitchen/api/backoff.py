"""When to try again after the connection to the server was lost."""

from collections.abc import Callable
import random
import time

# How long the server has been away -> the longest wait between two attempts. A LAN server that restarts
# is back within seconds: retry about every half second for the first minute, every two seconds for ten
# minutes, then back off to a minute. Full jitter spreads many clients over each interval.
BACKOFF_STEPS: tuple[tuple[float, float], ...] = ((60.0, 1.0), (600.0, 4.0))
BACKOFF_MAX = 60.0
BACKOFF_MIN = 0.1


class Backoff:
    """Reconnect delays that depend on how long the server has been away, with full jitter.

    It starts over once a connection is subscribed again (the server took the subscription and sends
    its snapshot), so every outage starts with fast retries.
    """

    def __init__(
        self,
        *,
        steps: tuple[tuple[float, float], ...] = BACKOFF_STEPS,
        maximum: float = BACKOFF_MAX,
        minimum: float = BACKOFF_MIN,
        rand: Callable[[], float] = random.random,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Use `steps` of (away for less than seconds, longest wait), then `maximum`."""
        self._steps = steps
        self._maximum = maximum
        self._minimum = minimum
        self._rand = rand
        self._clock = clock
        self._since: float | None = None

    def reset(self) -> None:
        """Start over: the server is back."""
        self._since = None

    def next_delay(self) -> float:
        """Return the wait before the next attempt: between `minimum` and the ceiling of now."""
        now = self._clock()
        if self._since is None:
            self._since = now
        away = now - self._since
        ceiling = next(
            (longest for until, longest in self._steps if away < until), self._maximum
        )
        return self._minimum + self._rand() * max(ceiling - self._minimum, 0.0)
