"""What goes wrong on a stream, logged so that it is seen without flooding the log."""

import asyncio
import logging

from .models import ConnectionStats, ServerError

_LOGGER = logging.getLogger(__package__ + ".connection")

MALFORMED_LOG_INTERVAL = 60.0


class ProblemLog:
    """Counts malformed messages and warns about each kind, and each server refusal, sparingly."""

    def __init__(self, url: str, stats: ConnectionStats) -> None:
        """Report problems of the stream of server `url` into `stats`."""
        self._url = url
        self._stats = stats
        # Per kind of malformed message: when it was last logged, and how many were skipped since.
        self._malformed: dict[str, tuple[float | None, int]] = {}
        self._refusals: set[tuple[str, tuple[str, ...]]] = set()

    def malformed(self, kind: str, detail: str) -> None:
        """Count a malformed message; warn about each kind at most once per interval."""
        self._stats.malformed_messages += 1
        now = asyncio.get_running_loop().time()
        logged_at, suppressed = self._malformed.get(kind, (None, 0))
        if logged_at is not None and now - logged_at < MALFORMED_LOG_INTERVAL:
            self._malformed[kind] = (logged_at, suppressed + 1)
            return
        _LOGGER.warning(
            "Skipping a malformed message from %s (%d more of this kind skipped since the last "
            "report): %s",
            self._url,
            suppressed,
            detail,
        )
        self._malformed[kind] = (now, 0)

    def server_error(self, error: ServerError) -> None:
        """Log what the server refused, once per kind of refusal."""
        key = (error.code, error.device_ids)
        if key in self._refusals:
            return
        self._refusals.add(key)
        _LOGGER.warning(
            "%s refused part of the subscription (%s%s): %s",
            self._url,
            error.code,
            f" for {', '.join(error.device_ids)}" if error.device_ids else "",
            error.message,
        )
