"""The appliances a benchmark step serves: a server config file generated for a given size."""

from dataclasses import dataclass
from functools import cache
import json
from pathlib import Path
from typing import Any

from smart_kitchen_server.auth import hash_password

from .common import PASSWORD, PROBE_PREFIX, USERNAME

# The appliances that are not probes repeat this pattern: half ovens (two compartments each), 30 %
# dishwashers, 20 % fridges, interleaved so that any prefix has the same mix and the smallest kitchen has
# one of each kind. With every appliance busy at a 0.4 s tick, 1,000 appliances make about 4,300 updates
# per second.
PATTERN = (
    "oven", "fridge", "dishwasher", "oven", "dishwasher",
    "oven", "fridge", "oven", "dishwasher", "oven",
)  # fmt: skip
COMPARTMENTS = {"oven": ("upper", "lower"), "fridge": ("fridge", "freezer")}


@dataclass(frozen=True, slots=True)
class Appliance:
    """One appliance of the generated config."""

    id: str
    type: str

    @property
    def compartments(self) -> tuple[str | None, ...]:
        """The compartments the server sends updates for (None for a dishwasher)."""
        return COMPARTMENTS.get(self.type, (None,))


@dataclass(frozen=True, slots=True)
class Kitchen:
    """Appliances of one user: the ordinary ones first, then the probe dishwashers.

    Probes come last on purpose: the server sends the snapshot in subscription order, so a probe's
    snapshot frame is the last one a client reads.
    """

    appliances: tuple[Appliance, ...]
    tag: str

    @classmethod
    def of_size(cls, size: int, tag: str) -> Kitchen:
        """Build `size` appliances, a tenth of them (1 to 10) probe dishwashers.

        The `tag` goes into the server id and every appliance id, so each step starts with a Home
        Assistant that has never seen its devices (a cold registry).
        """
        probes = min(10, max(1, size // 10))
        ordinary: list[Appliance] = []
        counts = dict.fromkeys(PATTERN, 0)
        for index in range(size - probes):
            kind = PATTERN[index % len(PATTERN)]
            counts[kind] += 1
            ordinary.append(Appliance(f"{tag}-{kind}-{counts[kind]}", kind))
        probe_list = [
            Appliance(f"{PROBE_PREFIX}{tag}-dishwasher-{n}", "dishwasher")
            for n in range(1, probes + 1)
        ]
        return cls(tuple(ordinary + probe_list), tag)

    @property
    def ordinary(self) -> tuple[Appliance, ...]:
        """The appliances the load generator keeps busy."""
        return tuple(a for a in self.appliances if not a.id.startswith(PROBE_PREFIX))

    @property
    def probes(self) -> tuple[Appliance, ...]:
        """The dishwashers whose doors the trigger toggles."""
        return tuple(a for a in self.appliances if a.id.startswith(PROBE_PREFIX))

    @property
    def streams(self) -> int:
        """How many `device_update` a snapshot holds (one per compartment or dishwasher)."""
        return sum(len(a.compartments) for a in self.appliances)

    def config(self, tick: float) -> dict[str, Any]:
        """Return the server config (the JSON form of the YAML config file)."""
        return {
            "server_id": f"bench-{self.tag}",
            "name": "Bench Kitchen",
            "tick": tick,
            "users": [{"username": USERNAME, "password_hash": password_hash()}],
            "devices": [
                {
                    "id": a.id,
                    "type": a.type,
                    "name": a.id.replace("-", " ").title(),
                    "owner": USERNAME,
                    **(
                        {"compartments": list(COMPARTMENTS["oven"])}
                        if a.type == "oven"
                        else {}
                    ),
                }
                for a in self.appliances
            ],
        }

    def write(self, path: Path, tick: float) -> Path:
        """Write the config file (JSON) and return its path."""
        path.write_text(json.dumps(self.config(tick), indent=1), encoding="utf-8")
        return path

    def describe(self) -> list[dict[str, Any]]:
        """Return the appliances as plain data, for the helper processes."""
        return [
            {"id": a.id, "type": a.type, "compartments": list(a.compartments)}
            for a in self.appliances
        ]


@cache
def password_hash() -> str:
    """Hash the bench password with a cheap scrypt cost: 200 clients log in during one step."""
    return hash_password(PASSWORD, n=1024)
