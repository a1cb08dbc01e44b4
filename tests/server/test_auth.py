"""Password hashing, sessions and the login throttle on their own."""

import asyncio

import pytest

from smart_kitchen_server.auth import (
    LoginThrottle,
    PasswordChecker,
    SessionStore,
    Throttled,
    hash_password,
    verify_password,
)
from tests.helpers import FakeClock


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


def test_password_checker() -> None:
    """A user's own password verifies; a wrong one or an unknown user does not."""
    checker = PasswordChecker({"demo": hash_password("s3cret", n=1024)})

    assert checker.verify("demo", "s3cret")
    assert not checker.verify("demo", "S3cret")
    assert not checker.verify("nobody", "s3cret")


def _cost(encoded: str) -> tuple[str, ...]:
    """Return what scrypt's running time depends on: N, r, p and the sizes of salt and key."""
    _, n, r, p, salt, key = encoded.split("$")
    return (n, r, p, str(len(salt)), str(len(key)))


def test_unknown_user_costs_what_a_user_costs() -> None:
    """An unknown username is checked against a decoy with a real user's scrypt cost, not a cost of its own."""
    cheap = hash_password("demo", n=1024)
    checker = PasswordChecker({"demo": cheap, "alice": hash_password("alice", n=1024)})

    for name in ("nobody", "x" * 1000, ""):
        assert _cost(checker._decoy_for(name)) == _cost(cheap)


def test_unknown_users_spread_over_mixed_costs() -> None:
    """With users of different costs, one name always costs the same, and both costs occur."""
    hashes = {"cheap": hash_password("a", n=1024), "dear": hash_password("b", n=2048)}
    checker = PasswordChecker(hashes)

    costs = {_cost(checker._decoy_for(f"user{index}")) for index in range(64)}

    assert costs == {_cost(encoded) for encoded in hashes.values()}
    assert checker._decoy_for("user1") == checker._decoy_for("user1")


def test_no_users_costs_the_default() -> None:
    """A server without users still pays a full check for every name."""
    checker = PasswordChecker({})

    assert _cost(checker._decoy_for("nobody")) == _cost(hash_password("x"))


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


async def _fail(
    throttle: LoginThrottle, username: str, address: str = "10.0.0.1"
) -> None:
    """Record one failed login."""
    async with throttle.attempt(username, address):
        pass


async def _succeed(
    throttle: LoginThrottle, username: str, address: str = "10.0.0.1"
) -> None:
    """Record one successful login."""
    async with throttle.attempt(username, address) as attempt:
        attempt.succeeded = True


async def test_throttle_window(clock: FakeClock) -> None:
    """Five failures lock a username until the oldest ages out of the window."""
    throttle = LoginThrottle(clock, limit=5, window=60)
    for index in range(5):
        assert throttle.retry_after("demo", f"10.0.0.{index}") is None
        await _fail(throttle, "demo", f"10.0.0.{index}")
        clock.advance(1)

    assert throttle.retry_after("demo", "10.0.0.9") == 55
    with pytest.raises(Throttled) as err:
        await _succeed(throttle, "demo", "10.0.0.9")
    assert err.value.retry_after == 55
    assert throttle.retry_after("alice", "10.0.0.9") is None
    clock.advance(55)
    assert throttle.retry_after("demo", "10.0.0.9") is None


async def test_throttle_per_address(clock: FakeClock) -> None:
    """Failures for many usernames from one address lock that address, not the others."""
    throttle = LoginThrottle(clock, limit=5, address_limit=10, window=60)
    for index in range(10):
        await _fail(throttle, f"user{index}", "10.0.0.1")

    assert throttle.retry_after("user99", "10.0.0.1") == 60
    assert throttle.retry_after("user99", "10.0.0.2") is None
    # A right password does not clear an address: it keeps counting until its failures age out.
    await _succeed(throttle, "user0", "10.0.0.2")
    assert throttle.retry_after("user0", "10.0.0.1") == 60


async def test_throttle_waits_for_checks_in_progress(clock: FakeClock) -> None:
    """Checks still running fill the limit: the next attempt waits for them, then follows their fate."""
    throttle = LoginThrottle(clock, limit=2, window=60)
    release = asyncio.Event()
    admitted: list[str] = []

    async def attempt(name: str, succeed: bool) -> None:
        async with throttle.attempt("demo", "10.0.0.1") as login:
            admitted.append(name)
            await release.wait()
            login.succeeded = succeed

    first = asyncio.create_task(attempt("first", succeed=True), eager_start=True)
    second = asyncio.create_task(attempt("second", succeed=True), eager_start=True)
    third = asyncio.create_task(attempt("third", succeed=True), eager_start=True)
    # Eager tasks run up to their first wait: two checks started, the third waits for them.
    assert admitted == ["first", "second"]
    release.set()
    await asyncio.gather(first, second, third)
    assert admitted == ["first", "second", "third"]

    release.clear()
    guesses = [
        asyncio.create_task(attempt(f"guess{i}", succeed=False), eager_start=True)
        for i in range(3)
    ]
    release.set()
    results = await asyncio.gather(*guesses, return_exceptions=True)
    assert results[:2] == [None, None]
    assert isinstance(results[2], Throttled)


async def test_throttle_counts_an_abandoned_check_as_failure(clock: FakeClock) -> None:
    """An attempt that never reported success (cancelled, or an error) counts as a failure."""
    throttle = LoginThrottle(clock, limit=1, window=60)

    with pytest.raises(RuntimeError):
        async with throttle.attempt("demo", "10.0.0.1"):
            raise RuntimeError

    assert throttle.retry_after("demo", "10.0.0.2") == 60


async def test_throttle_forgets_stale_keys(clock: FakeClock) -> None:
    """Guessing many usernames does not grow the throttle's memory forever."""
    throttle = LoginThrottle(clock)
    for index in range(1001):
        await _fail(throttle, f"user{index}", f"10.0.{index // 256}.{index % 256}")
    clock.advance(61)

    await _fail(throttle, "last", "10.0.0.1")

    assert throttle.remembered == [("username", "last"), ("address", "10.0.0.1")]
    assert throttle.checking == 0


@pytest.mark.parametrize("username", ["demo", "nobody"])
async def test_throttle_success_resets(clock: FakeClock, username: str) -> None:
    """A good login clears its username's failures (and clearing an unknown name is harmless)."""
    throttle = LoginThrottle(clock)
    await _fail(throttle, "demo")

    await _succeed(throttle, username, "10.0.0.2")

    assert (("username", "demo") in throttle.remembered) is (username != "demo")
