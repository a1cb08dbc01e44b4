"""Where an alert stream stands: the server boot, the resume cursor and the alerts already delivered."""

from collections import deque

from .models import Alert, AlertCursor

# The server buffers at least 1,000 alerts per user, so this covers any replay.
ALERT_MEMORY = 4096


class AlertTracker:
    """Deliver every alert once, and know where to resume after a reconnect or a restart.

    Alert ids count up per user and server boot, so everything is reset when the boot changes.
    """

    def __init__(self, cursor: AlertCursor | None = None) -> None:
        """Resume from a stored cursor, or start fresh (no replay until the server says where it is)."""
        self._boot_id = cursor.boot_id if cursor is not None else None
        # The lastAlertId of the next subscribe; None (no replay) until `subscribed` tells a fresh
        # client where history ends.
        self._cursor = cursor.last_alert_id if cursor is not None else None
        # The highest id delivered (for stats only).
        self.last_alert_id: int | None = None
        self._seen: set[int] = set()
        self._order: deque[int] = deque()

    @property
    def cursor(self) -> AlertCursor | None:
        """Return where to resume after the last delivered alert (None before the first `subscribed`)."""
        if self._boot_id is None or self._cursor is None:
            return None
        return AlertCursor(self._boot_id, self._cursor)

    @property
    def resume_from(self) -> int | None:
        """Return the `lastAlertId` of the next subscribe (None: a fresh client, replay nothing)."""
        return self._cursor

    def connected(self, boot_id: str) -> None:
        """Take note of the server's boot; a new boot starts the ids over and everything of it is news."""
        if self._boot_id is not None and boot_id != self._boot_id:
            self._cursor = 0
            self.last_alert_id = None
            self._seen.clear()
            self._order.clear()
        self._boot_id = boot_id

    def subscribed(self, last_alert_id: int | None) -> None:
        """Start from the server's newest alert, if this is a fresh client ("alerts from now on").

        A known cursor stays put until the replay that follows has been delivered.
        """
        if self._cursor is None:
            self._cursor = last_alert_id

    def accept(self, alert: Alert) -> bool:
        """Return whether an alert is new, remembering it (a bounded memory) and advancing the cursor."""
        if alert.id in self._seen:
            return False
        self._seen.add(alert.id)
        self._order.append(alert.id)
        if len(self._order) > ALERT_MEMORY:
            self._seen.discard(self._order.popleft())
        if self.last_alert_id is None or alert.id > self.last_alert_id:
            self.last_alert_id = alert.id
        if self._cursor is None or alert.id > self._cursor:
            self._cursor = alert.id
        return True
