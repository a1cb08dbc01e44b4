"""Password hashing, sessions and the login throttle on their own."""

import pytest

from smart_kitchen_server.auth import (
    LoginThrottle,
    SessionStore,
    hash_password,
    verify_password,
)

from .conftest import FakeClock


def test_hash_and_verify() -> None:
    """A hash verifies its own password only, and never repeats (random salt)."""
    encoded = hash_password("s3cret", n=1024)

    assert encoded.startswith("scrypt$1024$8$1$")
    assert verify_password("s3cret", encoded)
    assert not verify_password("S3cret", encoded)
    assert hash_password("s3cret", n=1024) != encoded


def test_default_cost() -> None:
    """hash-password's default cost is N=32768, r=8, p=1."""
    assert hash_password("x").startswith("scrypt$32768$8$1$")


def test_unknown_user_never_verifies() -> None:
    """Without a hash (unknown user) verification runs against a dummy and fails."""
    assert not verify_password("anything", None)


def test_sessions(clock: FakeClock) -> None:
    """Sessions are found by token until they expire or are revoked."""
    store = SessionStore(clock, lifetime=60)
    session = store.create("user-demo", "demo")

    assert store.get(session.token) is session
    assert store.get(None) is None
    assert store.get("other") is None
    assert session.token not in repr(session)

    clock.advance(59)
    assert store.get(session.token) is session
    clock.advance(1)
    assert store.get(session.token) is None
    assert len(store) == 0

    session = store.create("user-demo", "demo")
    store.revoke(session.token)
    store.revoke(session.token)
    assert store.get(session.token) is None


def test_throttle_window(clock: FakeClock) -> None:
    """Five failures lock a username until the oldest ages out of the window."""
    throttle = LoginThrottle(clock, limit=5, window=60)
    for _ in range(5):
        assert throttle.retry_after("demo") is None
        throttle.failed("demo")
        clock.advance(1)

    assert throttle.retry_after("demo") == 55
    assert throttle.retry_after("alice") is None
    clock.advance(55)
    assert throttle.retry_after("demo") is None


def test_throttle_forgets_stale_usernames(clock: FakeClock) -> None:
    """Guessing many usernames does not grow the throttle's memory forever."""
    throttle = LoginThrottle(clock)
    for index in range(1001):
        throttle.failed(f"user{index}")
    clock.advance(61)

    throttle.failed("last")

    assert list(throttle._failures) == ["last"]


@pytest.mark.parametrize("username", ["demo", "nobody"])
def test_throttle_success_resets(clock: FakeClock, username: str) -> None:
    """A good login clears the failures (and clearing an unknown name is harmless)."""
    throttle = LoginThrottle(clock)
    throttle.failed("demo")

    throttle.succeeded(username)

    assert ("demo" in throttle._failures) is (username != "demo")
