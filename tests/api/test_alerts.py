"""Unit tests of AlertTracker: which alerts are new, and where the next subscription resumes."""

from datetime import UTC, datetime

from custom_components.smart_kitchen.api import (
    Alert,
    AlertCursor,
    AlertTracker,
    AlertType,
    DeviceType,
)
from custom_components.smart_kitchen.api.alerts import ALERT_MEMORY


def alert(alert_id: int) -> Alert:
    """Return a dishwasher alert with the given id."""
    return Alert(
        id=alert_id,
        device_id="dishwasher-1",
        device_type=DeviceType.DISHWASHER,
        compartment=None,
        alert_type=AlertType.PROGRAM_FINISHED,
        message="done",
        ts=datetime(2026, 1, 1, tzinfo=UTC),
    )


def test_fresh_start_takes_the_servers_newest_id() -> None:
    """Without a cursor nothing is replayed; the first `subscribed` says where history ends."""
    tracker = AlertTracker()
    assert (tracker.cursor, tracker.resume_from, tracker.last_alert_id) == (
        None,
        None,
        None,
    )
    tracker.connected("boot-a")
    # Connected alone does not say where history ends.
    assert (tracker.cursor, tracker.resume_from) == (None, None)
    tracker.subscribed(7)
    assert tracker.resume_from == 7
    assert tracker.cursor == AlertCursor("boot-a", 7)
    # A later `subscribed` (a re-subscription) does not move a cursor that is set.
    tracker.subscribed(9)
    assert tracker.cursor == AlertCursor("boot-a", 7)
    # Nothing was delivered yet.
    assert tracker.last_alert_id is None


def test_server_without_last_alert_id_waits_for_the_first_alert() -> None:
    """A server that predates `subscribed.lastAlertId` leaves the cursor unset until an alert."""
    tracker = AlertTracker()
    tracker.connected("boot-a")
    tracker.subscribed(None)
    assert (tracker.cursor, tracker.resume_from) == (None, None)
    assert tracker.accept(alert(4))
    assert tracker.cursor == AlertCursor("boot-a", 4)


def test_stored_cursor_is_kept_until_the_replay() -> None:
    """A stored cursor of the same boot is what the subscription asks for, not the server's newest."""
    stored = AlertCursor("boot-a", 3)
    tracker = AlertTracker(stored)
    assert tracker.cursor == stored
    assert tracker.resume_from == 3
    tracker.connected("boot-a")
    tracker.subscribed(10)
    assert tracker.resume_from == 3
    assert tracker.cursor == stored
    # The replay advances it alert by alert.
    assert tracker.accept(alert(4))
    assert tracker.cursor == AlertCursor("boot-a", 4)
    assert tracker.last_alert_id == 4


def test_duplicates_are_dropped_and_the_cursor_never_goes_back() -> None:
    """Each id is accepted once; an older id arriving late is news but does not rewind the cursor."""
    tracker = AlertTracker()
    tracker.connected("boot-a")
    tracker.subscribed(0)
    assert tracker.accept(alert(5))
    assert not tracker.accept(alert(5))
    assert tracker.accept(alert(7))
    assert tracker.accept(alert(6))
    assert not tracker.accept(alert(7))
    assert (tracker.cursor, tracker.last_alert_id) == (AlertCursor("boot-a", 7), 7)


def test_memory_is_bounded() -> None:
    """Only the newest ALERT_MEMORY ids are remembered: the oldest one is accepted again."""
    tracker = AlertTracker()
    tracker.connected("boot-a")
    tracker.subscribed(0)
    newest = ALERT_MEMORY + 1
    assert all(tracker.accept(alert(alert_id)) for alert_id in range(1, newest + 1))
    # 1 was forgotten when ALERT_MEMORY + 1 arrived; 2 and the newest are still remembered.
    assert tracker.accept(alert(1))
    assert not tracker.accept(alert(newest))
    assert not tracker.accept(alert(3))
    # Accepting the forgotten id again does not move anything backwards.
    assert (tracker.cursor, tracker.last_alert_id) == (
        AlertCursor("boot-a", newest),
        newest,
    )


def test_a_new_boot_starts_over_at_zero() -> None:
    """A server restart (another boot id) resets the cursor to 0 and forgets every id."""
    tracker = AlertTracker()
    tracker.connected("boot-a")
    tracker.subscribed(5)
    assert tracker.accept(alert(6))
    # A reconnect to the same boot changes nothing.
    tracker.connected("boot-a")
    assert (tracker.cursor, tracker.last_alert_id) == (AlertCursor("boot-a", 6), 6)
    assert not tracker.accept(alert(6))

    tracker.connected("boot-b")
    assert tracker.resume_from == 0
    assert tracker.cursor == AlertCursor("boot-b", 0)
    assert tracker.last_alert_id is None
    # The new boot's server newest does not skip its buffered alerts: they are all news.
    tracker.subscribed(2)
    assert tracker.resume_from == 0
    assert tracker.accept(alert(1))
    assert tracker.accept(alert(6))
    assert tracker.cursor == AlertCursor("boot-b", 6)


def test_stored_cursor_of_another_boot_replays_everything() -> None:
    """A cursor from before a server restart means nothing to the new boot: resume from 0."""
    tracker = AlertTracker(AlertCursor("old-boot", 2))
    tracker.connected("new-boot")
    assert tracker.cursor == AlertCursor("new-boot", 0)
    assert tracker.accept(alert(1))
