"""Tests for the reconnect delays: exponential backoff with full jitter, reset after a healthy link."""

import pytest

from custom_components.smart_kitchen.api import Backoff, backoff_delay


def test_schedule_without_jitter() -> None:
    """With the random factor at its maximum the delays double from 0.5 s up to the 60 s cap."""
    assert [backoff_delay(attempt, rand=lambda: 1.0) for attempt in range(9)] == [
        0.5,
        1.0,
        2.0,
        4.0,
        8.0,
        16.0,
        32.0,
        60.0,
        60.0,
    ]


@pytest.mark.parametrize(
    ("draw", "expected"), [(0.0, 0.0), (0.25, 2.0), (0.999, 7.992)]
)
def test_full_jitter(draw: float, expected: float) -> None:
    """Full jitter: the delay is uniformly anywhere between 0 and the exponential ceiling."""
    assert backoff_delay(4, rand=lambda: draw) == pytest.approx(expected)


def test_huge_attempt_numbers_stay_at_the_cap() -> None:
    """A connection failing for days must not overflow the exponent."""
    assert backoff_delay(10_000, rand=lambda: 1.0) == 60.0
    assert backoff_delay(2000, initial=1e-300, maximum=5.0, rand=lambda: 1.0) == 5.0


def test_custom_initial_and_cap() -> None:
    """Tests and callers can shrink the schedule."""
    assert [
        backoff_delay(n, initial=0.01, maximum=0.05, rand=lambda: 1.0) for n in range(4)
    ] == [
        0.01,
        0.02,
        0.04,
        0.05,
    ]


def test_backoff_resets_after_a_healthy_connection() -> None:
    """Short-lived connections keep growing the delay; one that stayed up long enough starts over."""
    backoff = Backoff(initial=1.0, maximum=100.0, reset_after=30.0, rand=lambda: 1.0)
    assert [backoff.next_delay() for _ in range(3)] == [1.0, 2.0, 4.0]
    backoff.connection_ended(None)
    assert backoff.next_delay() == 8.0
    backoff.connection_ended(29.9)
    assert backoff.next_delay() == 16.0
    backoff.connection_ended(30.0)
    assert backoff.attempt == 0
    assert backoff.next_delay() == 1.0


def test_default_randomness_stays_in_range() -> None:
    """Without an injected random source the delay is still within [0, ceiling]."""
    backoff = Backoff()
    delays = [backoff.next_delay() for _ in range(12)]
    assert all(0.0 <= delay <= 60.0 for delay in delays)
