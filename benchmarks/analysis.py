"""Turning stamps into results: matching probe frames to sightings, first state, recovery after a restart."""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from .common import summarize

UNAVAILABLE = ("unavailable", None)
DOOR_STATES = {"on": True, "off": False}


@dataclass(frozen=True, slots=True)
class Matched:
    """Probe frames paired with the moments an observer saw them."""

    pairs: list[tuple[float, float]]  # (written, seen)
    unseen: int
    wrong: int

    def latencies(self, start: float, end: float) -> list[float]:
        """Return the latencies of the frames written between two moments."""
        return [
            seen - written for written, seen in self.pairs if start <= written <= end
        ]


def match(
    writes: Iterable[tuple[float, str, bool]], seen: Iterable[tuple[float, str, bool]]
) -> Matched:
    """Pair, per probe appliance and in order, each written frame with the next sighting.

    A socket delivers in order and each frame toggles a door, so the n-th frame written for an appliance
    is the n-th change an observer sees of it; a sighting with the other door position counts as wrong.
    """
    written_by: dict[str, list[tuple[float, bool]]] = defaultdict(list)
    seen_by: dict[str, list[tuple[float, bool]]] = defaultdict(list)
    for t, device, door in writes:
        written_by[device].append((t, door))
    for t, device, door in seen:
        seen_by[device].append((t, door))
    pairs = []
    unseen = wrong = 0
    for device, frames in written_by.items():
        sightings = seen_by.get(device, [])
        for (written, door), (seen_at, seen_door) in zip(
            frames, sightings, strict=False
        ):
            pairs.append((written, seen_at))
            wrong += door != seen_door
        unseen += max(0, len(frames) - len(sightings))
    pairs.sort()
    return Matched(pairs, unseen, wrong)


def door_sightings(
    events: Iterable[Sequence[Any]], doors: dict[str, str]
) -> list[tuple[float, str, bool]]:
    """Return the door changes Home Assistant wrote, as (moment, appliance, open)."""
    return [
        (t, doors[entity_id], DOOR_STATES[state])
        for t, entity_id, state in events
        if entity_id in doors and state in DOOR_STATES
    ]


def first_full_state(
    events: Sequence[Sequence[Any]],
    start: float,
    entities: Iterable[str],
    marker: str,
    marker_frames: Sequence[float],
) -> dict[str, Any]:
    """Return how long after `start` every entity had a state, and the snapshot had been processed.

    Every entity counts once it is written after `start` (unavailable counts: a button that cannot be
    pressed now is unavailable by design; the snapshot is what proves the data fresh), from the moment
    all of them were there for good. The snapshot counts as
    processed once Home Assistant applied the first live frame the server wrote after it: the trigger
    toggles the door of the probe appliance that comes last in the snapshot (`marker`) all along, and its
    live frames (`marker_frames`, their write moments) are matched from the newest backwards to the
    door changes of the marker entity. Today's integration shows the REST device list before the
    snapshot arrives; this is what makes the measure honest for it too.
    """
    wanted = set(entities)
    missing = set(wanted)
    available_at = None
    flips: list[float] = []
    marker_state = None
    marker_appeared = None
    for t, entity_id, state in sorted(
        (e[0], e[1], e[2]) for e in events if e[0] >= start
    ):
        if entity_id == marker:
            if (
                state in DOOR_STATES
                and marker_state in DOOR_STATES
                and state != marker_state
            ):
                flips.append(t)
            if state not in UNAVAILABLE and marker_appeared is None:
                marker_appeared = t
            marker_state = state
        if state is None:
            if entity_id in wanted:
                missing.add(entity_id)
                available_at = None
        elif entity_id in missing:
            missing.discard(entity_id)
            if not missing:
                available_at = t
    live = [t for t in marker_frames if t >= start]
    processed_at = None
    if live and len(flips) >= len(live):
        processed_at = flips[len(flips) - len(live)]
    elif live:
        # Some live frames were applied before the entity first showed (it was created later).
        processed_at = marker_appeared
    if available_at is None or processed_at is None:
        return {"seconds": None, "written": None, "live_frames": len(live)}
    return {
        "seconds": max(available_at, processed_at) - start,
        "written": available_at - start,
        "live_frames": len(live),
    }


def recovery(
    initial: dict[str, str | None],
    events: Sequence[Sequence[Any]],
    back: float,
    markers: Iterable[str],
    connectivity: str | None,
) -> float | None:
    """Return how long after `back` every entity was available again and showed the new boot's snapshot.

    "Every entity" is every one that was available before the kill (a button that could not be pressed
    then is unavailable by design). Before the kill every probe door was open; the restarted server has
    them closed, and the probes come last in the snapshot, so all of them "off" means it was applied.
    """
    states = dict(initial)
    expected = [e for e, state in initial.items() if state not in UNAVAILABLE]
    markers = set(markers)

    def ready() -> bool:
        return (
            all(states[e] not in UNAVAILABLE for e in expected)
            and all(states.get(m) == "off" for m in markers)
            and (connectivity is None or states.get(connectivity) == "on")
        )

    for t, entity_id, state in sorted((e[0], e[1], e[2]) for e in events):
        if entity_id in states:
            states[entity_id] = state
        if t >= back and ready():
            return float(t - back)
    return None


def poll_staleness(
    changes: Sequence[tuple[float, str, bool]], polls: Sequence[dict[str, Any]]
) -> dict[str, Any]:
    """Return how long after each probe change a poll showed it (or a newer state), and what it missed.

    A change is known once the first poll sent after it is answered (earlier polls may have been
    answered before the change). That poll shows a newer state if the appliance changed again in
    between: then the change itself was never seen.
    """
    by_device: dict[str, list[float]] = defaultdict(list)
    for t, device, _door in changes:
        by_device[device].append(t)
    staleness = []
    missed = 0
    for times in by_device.values():
        for index, t in enumerate(times):
            poll = next((p for p in polls if p["sent"] >= t), None)
            if poll is None:
                continue
            staleness.append(poll["received"] - t)
            if index + 1 < len(times) and times[index + 1] <= poll["sent"]:
                missed += 1
    return {
        "staleness": summarize(staleness),
        "changes": len(staleness),
        "never_seen": missed,
    }
