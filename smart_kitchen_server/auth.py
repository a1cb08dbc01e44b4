"""Password hashes, in-memory sessions and the login throttle."""

import asyncio
import base64
from collections import deque
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
import hashlib
import hmac
import logging
import math
import secrets
from typing import Literal

from .const import (
    LOGIN_ADDRESS_FAILURE_LIMIT,
    LOGIN_FAILURE_LIMIT,
    LOGIN_FAILURE_WINDOW,
)

_LOGGER = logging.getLogger(__name__)

type Clock = Callable[[], datetime]

SCRYPT_N = 2**15
SCRYPT_R = 8
SCRYPT_P = 1
_SALT_BYTES = 16
_KEY_BYTES = 32
# Refuse parameters that would let a config file make one login eat the machine.
_MAX_N = 2**20
_MAX_R = 32
_MAX_P = 16
# Throttle keys kept before the ones whose failures aged out are swept.
_SWEEP_THRESHOLD = 1000
# Longest client-chosen string (a username) quoted in a log line.
_LOGGED_TEXT_LIMIT = 64


@dataclass(frozen=True, slots=True)
class _ScryptHash:
    """A parsed `scrypt$N$r$p$salt$key` string."""

    n: int
    r: int
    p: int
    salt: bytes
    key: bytes


def _parse_hash(encoded: str) -> _ScryptHash:
    """Split a hash string into its parts, rejecting anything malformed."""
    parts = encoded.split("$")
    if len(parts) != 6 or parts[0] != "scrypt":
        raise ValueError("password hash must look like scrypt$N$r$p$salt$key")
    try:
        n, r, p = (int(part) for part in parts[1:4])
        salt = base64.b64decode(parts[4], validate=True)
        key = base64.b64decode(parts[5], validate=True)
    except ValueError as err:
        raise ValueError(f"password hash is malformed: {err}") from err
    if (
        n < 2
        or n & (n - 1)
        or n > _MAX_N
        or not 1 <= r <= _MAX_R
        or not 1 <= p <= _MAX_P
    ):
        raise ValueError("password hash has unusable scrypt parameters")
    if not salt or not key:
        raise ValueError("password hash has an empty salt or key")
    return _ScryptHash(n, r, p, salt, key)


def _derive(
    password: str, salt: bytes, *, n: int, r: int, p: int, length: int
) -> bytes:
    """Run scrypt with enough memory allowance for the parameters."""
    return hashlib.scrypt(
        password.encode(),
        salt=salt,
        n=n,
        r=r,
        p=p,
        maxmem=256 * r * n + 2**20,
        dklen=length,
    )


def hash_password(
    password: str, *, n: int = SCRYPT_N, r: int = SCRYPT_R, p: int = SCRYPT_P
) -> str:
    """Return the `scrypt$N$r$p$salt$key` string a config file stores for a password."""
    salt = secrets.token_bytes(_SALT_BYTES)
    key = _derive(password, salt, n=n, r=r, p=p, length=_KEY_BYTES)
    encoded_salt = base64.b64encode(salt).decode()
    encoded_key = base64.b64encode(key).decode()
    return f"scrypt${n}${r}${p}${encoded_salt}${encoded_key}"


def check_hash(encoded: str) -> None:
    """Raise ValueError unless the string is a usable password hash."""
    _parse_hash(encoded)


def verify_password(password: str, encoded: str) -> bool:
    """Tell whether the password matches the hash."""
    parsed = _parse_hash(encoded)
    key = _derive(
        password,
        parsed.salt,
        n=parsed.n,
        r=parsed.r,
        p=parsed.p,
        length=len(parsed.key),
    )
    return hmac.compare_digest(key, parsed.key)


def _decoy(n: int, r: int, p: int, salt_bytes: int, key_bytes: int) -> str:
    """Return a hash of the given cost and sizes that belongs to no password anybody knows."""
    salt = base64.b64encode(secrets.token_bytes(salt_bytes)).decode()
    key = base64.b64encode(secrets.token_bytes(key_bytes)).decode()
    return f"scrypt${n}${r}${p}${salt}${key}"


class PasswordChecker:
    """Checks a user's password; an unknown username costs exactly what a known one costs."""

    def __init__(self, hashes: Mapping[str, str]) -> None:
        """Hold each username's password hash."""
        self._hashes = dict(hashes)
        # An unknown username is checked against a decoy with the scrypt cost of a real user's hash: a
        # fixed cost of its own (the old N=32768 dummy against the demo's N=1024) told names apart.
        # When users' costs differ, a keyed hash of the name picks whose cost to copy, so one name
        # always costs the same and unknown names are spread over the costs like real ones.
        self._decoys = [
            _decoy(parsed.n, parsed.r, parsed.p, len(parsed.salt), len(parsed.key))
            for parsed in map(_parse_hash, self._hashes.values())
        ] or [_decoy(SCRYPT_N, SCRYPT_R, SCRYPT_P, _SALT_BYTES, _KEY_BYTES)]
        self._decoy_key = secrets.token_bytes(16)

    def _decoy_for(self, username: str) -> str:
        """Return the decoy an unknown username is checked against (always the same one)."""
        digest = hmac.digest(self._decoy_key, username.encode(), "sha256")
        return self._decoys[int.from_bytes(digest[:8]) % len(self._decoys)]

    def verify(self, username: str, password: str) -> bool:
        """Tell whether the user exists and the password is theirs; slow on purpose (scrypt)."""
        encoded = self._hashes.get(username)
        if encoded is None:
            verify_password(password, self._decoy_for(username))
            return False
        return verify_password(password, encoded)


@dataclass(frozen=True, slots=True)
class Session:
    """A logged-in user's token and when it stops working."""

    token: str = field(repr=False)
    user_id: str
    username: str
    expires_at: datetime


class SessionStore:
    """Tokens in memory: a server restart logs everybody out."""

    def __init__(self, clock: Clock, lifetime: float) -> None:
        """Create an empty store whose tokens live `lifetime` seconds."""
        self._clock = clock
        self._lifetime = timedelta(seconds=lifetime)
        self._sessions: dict[str, Session] = {}

    def __len__(self) -> int:
        """Return how many sessions exist (expired ones included until next looked at)."""
        return len(self._sessions)

    def create(self, user_id: str, username: str) -> Session:
        """Start a session with a fresh random token."""
        now = self._clock()
        # Expired sessions are only removed lazily, so sweep them when one is added.
        for token in [t for t, s in self._sessions.items() if s.expires_at <= now]:
            del self._sessions[token]
        session = Session(
            secrets.token_urlsafe(32), user_id, username, now + self._lifetime
        )
        self._sessions[session.token] = session
        return session

    def get(self, token: str | None) -> Session | None:
        """Return the live session for a token, or None when unknown or expired."""
        if token is None or (session := self._sessions.get(token)) is None:
            return None
        if session.expires_at <= self._clock():
            del self._sessions[token]
            return None
        return session

    def revoke(self, token: str) -> None:
        """Make a token stop working at once."""
        self._sessions.pop(token, None)


type _ThrottleKey = tuple[Literal["username", "address"], str]


class Throttled(Exception):
    """A login refused without a check because of recent failures (HTTP 429)."""

    def __init__(self, retry_after: int) -> None:
        """Store how many seconds the caller has to wait (at least 1)."""
        super().__init__(f"retry after {retry_after} seconds")
        self.retry_after = retry_after


@dataclass(slots=True)
class LoginAttempt:
    """One login being checked; whoever checks it sets `succeeded` when the password was right."""

    keys: tuple[_ThrottleKey, ...]
    succeeded: bool = False


class LoginThrottle:
    """Limit failed logins per username and per client address; right passwords are never throttled.

    A key (a username, an address) is blocked while it has `limit` failures within the sliding window.
    To stop parallel guesses from all being checked before the first has failed, attempts still being
    checked count against the limit too — but only for the decision to check: an attempt that finds
    the limit reached by failures plus checks still running waits for those checks to end instead of
    being refused. So a burst of wrong guesses gets at most `limit` checks per window and the rest
    429, and a burst of right ones is checked a few at a time and all succeed.
    """

    def __init__(
        self,
        clock: Clock,
        *,
        limit: int = LOGIN_FAILURE_LIMIT,
        address_limit: int = LOGIN_ADDRESS_FAILURE_LIMIT,
        window: float = LOGIN_FAILURE_WINDOW,
    ) -> None:
        """Allow `limit` failures per username and `address_limit` per address within `window` seconds."""
        self._clock = clock
        self._limits: dict[str, int] = {"username": limit, "address": address_limit}
        self._window = timedelta(seconds=window)
        self._failures: dict[_ThrottleKey, deque[datetime]] = {}
        self._checking: dict[_ThrottleKey, int] = {}
        self._finished = asyncio.Event()

    @property
    def remembered(self) -> list[tuple[str, str]]:
        """Return the (kind, key) pairs with failures in memory, e.g. ("username", "demo")."""
        return list(self._failures)

    @property
    def checking(self) -> int:
        """Return how many logins are being checked right now."""
        return sum(self._checking.values())

    def _recent(self, key: _ThrottleKey, now: datetime) -> deque[datetime]:
        """Return the key's failures still inside the window (forgetting a key that has none)."""
        failures = self._failures.get(key)
        if failures is None:
            return deque()
        while failures and failures[0] <= now - self._window:
            failures.popleft()
        if not failures:
            del self._failures[key]
        return failures

    def retry_after(self, username: str, address: str) -> int | None:
        """Return seconds until a login for this username from this address may be checked, or None."""
        return self._retry_after(_keys(username, address), self._clock())

    def _retry_after(self, keys: tuple[_ThrottleKey, ...], now: datetime) -> int | None:
        """Return seconds until none of the keys is blocked by failures, or None if none is now."""
        waits = [
            (failures[-limit] + self._window - now).total_seconds()
            for key in keys
            if len(failures := self._recent(key, now))
            >= (limit := self._limits[key[0]])
        ]
        return max(1, math.ceil(max(waits))) if waits else None

    @asynccontextmanager
    async def attempt(self, username: str, address: str) -> AsyncIterator[LoginAttempt]:
        """Wait until a login may be checked, then count it; raise Throttled when it may not be checked.

        The block ends with the failure or success the caller reports through `succeeded` (an attempt
        left without it, e.g. cancelled, counts as a failure).
        """
        keys = _keys(username, address)
        while True:
            now = self._clock()
            if (retry_after := self._retry_after(keys, now)) is not None:
                raise Throttled(retry_after)
            if all(
                len(self._recent(key, now)) + self._checking.get(key, 0)
                < self._limits[key[0]]
                for key in keys
            ):
                break
            # Only checks still running fill the limit: their outcome decides this attempt's fate.
            await self._finished.wait()
        for key in keys:
            self._checking[key] = self._checking.get(key, 0) + 1
        attempt = LoginAttempt(keys)
        try:
            yield attempt
        finally:
            self._finish(attempt)

    def _finish(self, attempt: LoginAttempt) -> None:
        """Record an attempt's outcome and wake the attempts waiting for it."""
        now = self._clock()
        for key in attempt.keys:
            if (remaining := self._checking[key] - 1) > 0:
                self._checking[key] = remaining
            else:
                del self._checking[key]
        if attempt.succeeded:
            # A right password clears its username's failures, not its address's: one known
            # password must not reset the count of an address guessing other users' passwords.
            self._failures.pop(attempt.keys[0], None)
        else:
            for key in attempt.keys:
                self._recent(key, now)
                self._failures.setdefault(key, deque()).append(now)
                if len(self._failures[key]) == self._limits[key[0]]:
                    _LOGGER.info(
                        "Refusing logins for %s %s for %d seconds after %d failures",
                        key[0],
                        loggable(key[1]),
                        self._window.total_seconds(),
                        self._limits[key[0]],
                    )
            # Sweep keys whose failures aged out, so guessing names cannot grow memory forever.
            if len(self._failures) > _SWEEP_THRESHOLD:
                for key in list(self._failures):
                    self._recent(key, now)
        self._finished.set()
        self._finished = asyncio.Event()


def _keys(username: str, address: str) -> tuple[_ThrottleKey, ...]:
    """Return the throttle keys of a login: its username first, then its address."""
    return (("username", username), ("address", address))


def loggable(text: str) -> str:
    """Quote a client-chosen string for a log line, cut short so nobody can flood the log with it."""
    if len(text) > _LOGGED_TEXT_LIMIT:
        return repr(text[:_LOGGED_TEXT_LIMIT]) + "..."
    return repr(text)
