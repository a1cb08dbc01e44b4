"""Password hashes, in-memory sessions and the login throttle."""

import base64
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
import hashlib
import hmac
import math
import secrets

from .const import LOGIN_FAILURE_LIMIT, LOGIN_FAILURE_WINDOW

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

# Verified when the username is unknown, so that answer costs as much as a wrong password.
_DUMMY_HASH = "scrypt$32768$8$1$2Iwe3UQqYQjQ02J0dqxjBA==$m0ic7/Za75ptOidycdnYt+tQ5j2vHMUOkLqa3ory6Ac="


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


def verify_password(password: str, encoded: str | None) -> bool:
    """Tell whether the password matches the hash; None (unknown user) never matches."""
    parsed = _parse_hash(_DUMMY_HASH if encoded is None else encoded)
    key = _derive(
        password,
        parsed.salt,
        n=parsed.n,
        r=parsed.r,
        p=parsed.p,
        length=len(parsed.key),
    )
    return hmac.compare_digest(key, parsed.key) and encoded is not None


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


class LoginThrottle:
    """Refuse logins for a username after too many recent failures."""

    def __init__(
        self,
        clock: Clock,
        limit: int = LOGIN_FAILURE_LIMIT,
        window: float = LOGIN_FAILURE_WINDOW,
    ) -> None:
        """Allow `limit` failures per username within `window` seconds."""
        self._clock = clock
        self._limit = limit
        self._window = timedelta(seconds=window)
        self._failures: dict[str, deque[datetime]] = {}

    def _recent(self, username: str, now: datetime) -> deque[datetime]:
        """Return the username's failures still inside the window."""
        failures = self._failures.setdefault(username, deque())
        while failures and failures[0] <= now - self._window:
            failures.popleft()
        return failures

    def retry_after(self, username: str) -> int | None:
        """Return seconds until the username may try again, or None if it may now."""
        now = self._clock()
        failures = self._recent(username, now)
        if len(failures) < self._limit:
            if not failures:
                del self._failures[username]
            return None
        wait = (failures[-self._limit] + self._window - now).total_seconds()
        return max(1, math.ceil(wait))

    def failed(self, username: str) -> None:
        """Record a failed login."""
        now = self._clock()
        self._recent(username, now).append(now)
        # Sweep usernames whose failures aged out, so guessing names cannot grow memory forever.
        if len(self._failures) > 1000:
            for name in list(self._failures):
                if not self._recent(name, now):
                    del self._failures[name]

    def succeeded(self, username: str) -> None:
        """Forget a username's failures after a good login."""
        self._failures.pop(username, None)
