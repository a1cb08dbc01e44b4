"""The Markdown report of a run (`benchmarks/results/latest.md`), which the README quotes."""

from typing import Any

NONE = "-"
MICRO = "\N{MICRO SIGN}"
TIMES = "\N{MULTIPLICATION SIGN}"


def row(*cells: object) -> str:
    """Return one Markdown table row."""
    return (
        "| " + " | ".join(NONE if cell is None else str(cell) for cell in cells) + " |"
    )


def get(data: Any, *path: str) -> Any:
    """Follow keys, returning None where one is missing."""
    for key in path:
        if not isinstance(data, dict) or key not in data:
            return None
        data = data[key]
    return data


def ms(value: float | None, digits: int = 2) -> str:
    """Format milliseconds."""
    return NONE if value is None else f"{value:.{digits}f} ms"


def sec(value: float | None) -> str:
    """Format seconds."""
    return NONE if value is None else f"{value:.2f} s"


def p50_p99(stats: dict[str, Any] | None) -> str:
    """Format p50 / p99 of a summary in milliseconds."""
    return NONE if not stats else f"{stats['p50']:.2f} / {stats['p99']:.2f} ms"


def first_state(size: dict[str, Any] | None) -> tuple[str, str]:
    """Return Home Assistant's first state (cold, best warm) and the floor's, for one size."""
    if not size:
        return NONE, NONE
    warm = [w["ms"] for w in size["ha_first_state_warm"] if w["ms"] is not None]
    ha = f"cold {ms(get(size, 'ha_first_state_cold', 'ms'), 0)}, warm {ms(min(warm), 0) if warm else NONE}"
    if bare := bare_first_state(size):
        ha += f" (bare entities: {bare})"
    return ha, ms(get(size, "floor_first_state_ms", "p50"), 1)


def bare_first_state(size: dict[str, Any]) -> str | None:
    """Describe Home Assistant's own floor: cold and best warm of the bare entities, if measured."""
    if (bare := size.get("ha_bare_first_state")) is None:
        return None
    warm = min(bare["warm_ms"], default=None)
    return f"cold {ms(bare['cold_ms'], 0)}, warm {ms(warm, 0)}"


def headline(results: dict[str, Any]) -> list[str]:
    """Build the table of issue 11: today, the floor of the same run, the target."""
    settings = results["settings"]
    sizes = results["sizes"]
    loaded = sizes.get(str(settings["load_size"]), {})
    base = loaded.get("baseline", {})
    stress = loaded.get("stress", {})
    fs100 = first_state(sizes.get("100"))
    fs1000 = first_state(sizes.get("1000"))
    rows = [
        row("metric", "today", "floor, same run", "target"),
        row("---", "---", "---", "---"),
        row(
            f"push latency p50 / p99, {settings['load_size']} appliances at ~{get(base, 'updates_per_s') or 0:.0f} upd/s",
            p50_p99(get(base, "ha", "latency_ms")),
            p50_p99(get(base, "floor", "latency_ms")),
            f"p50 ≤ 2{TIMES} floor, p99 ≤ 2{TIMES} floor",
        ),
        row(
            f"push p50 / p99 with every appliance busy (~{get(stress, 'updates_per_s') or 0:.0f} upd/s)",
            f"{p50_p99(get(stress, 'ha', 'latency_ms'))}; {backlog(stress)}",
            p50_p99(get(stress, "floor", "latency_ms")),
            "p99 ≤ 25 ms, no backlog",
        ),
        row(
            f"HA CPU per update at {settings['load_size']} appliances",
            ms(get(base, "ha", "cpu_ms_per_update"), 3),
            f"{ms(get(base, 'floor', 'cpu_ms_per_update'), 3)} (parse only)",
            "≤ 0.05 ms",
        ),
        row(
            "time to first full state, 100 / 1,000 appliances",
            f"{fs100[0]} / {fs1000[0]}",
            f"{fs100[1]} / {fs1000[1]}",
            "≤ 100 ms / ≤ 1 s",
        ),
    ]
    reconnect = get(sizes, str(settings["reconnect_size"]), "reconnect") or {}
    outages = [key for key, value in reconnect.items() if isinstance(value, dict)]
    if outages:
        rows.append(
            row(
                "server back → all entities available, outage "
                + " / ".join(
                    f"~{k} (real {sec(get(reconnect, k, 'outage_s', 'p50'))})"
                    for k in outages
                ),
                " / ".join(
                    f"p50 {sec(get(reconnect, k, 'recovery_s', 'p50'))}, "
                    f"p95 {sec(get(reconnect, k, 'recovery_p95_s'))}, "
                    f"max {sec(get(reconnect, k, 'recovery_s', 'max'))}"
                    for k in outages
                ),
                " / ".join(
                    ms(get(reconnect, k, "floor_recovery_ms", "p50"), 0)
                    for k in outages
                ),
                "p95 ≤ 1.5 s for outages ≤ 1 min; ≤ 5 s up to 10 min",
            )
        )
    return rows


def background(results: dict[str, Any]) -> list[str]:
    """Say how much of Home Assistant's CPU per update is its own background, and what one more costs.

    The background is taken from the smallest kitchen's idle window, where only the probes run (it
    includes their updates, so it is an upper bound); the 1,000-appliance idle window is no
    background: its fridges alone send ~500 updates/s. The marginal cost is the CPU that the stress
    load adds over the baseline, per update it adds.
    """
    sizes = results["sizes"]
    loaded = sizes.get(str(results["settings"]["load_size"]), {})
    smallest = sizes.get(str(min(int(size) for size in sizes)), {})
    idle = get(smallest, "idle", "ha", "cpu_share")
    idle_rate = get(smallest, "idle", "updates_per_s")
    rate = get(loaded, "baseline", "updates_per_s")
    if idle is None or not rate:
        return []
    lines = [
        (
            f"Home Assistant's CPU per update includes its own background: with "
            f"{smallest['appliances']} appliances and only the probes running ({idle_rate:g} updates/s) "
            f"it used {idle * 100:.1f} % of a core, at most {idle / rate * 1000:.3f} ms of each update at "
            f"{rate:.0f} updates/s."
        )
    ]
    base_share = get(loaded, "baseline", "ha", "cpu_share")
    stress_share = get(loaded, "stress", "ha", "cpu_share")
    stress_rate = get(loaded, "stress", "updates_per_s")
    if None not in (base_share, stress_share) and stress_rate and stress_rate > rate:
        marginal = (stress_share - base_share) / (stress_rate - rate) * 1000
        lines.append(
            f"Each update the stress load adds over the baseline costs {marginal:.3f} ms "
            f"({(stress_share - base_share) * 100:.1f} % of a core for {stress_rate - rate:.0f} more "
            "updates/s)."
        )
    return [" ".join(lines), ""]


def backlog(window: dict[str, Any]) -> str:
    """Say whether Home Assistant kept up during a window, and if not, how far behind it was."""
    ha = window["ha"]
    queue = f"p99 {get(ha, 'server_wait_ms', 'p99')} ms waiting in the server"
    if window["ha_reconnected"]:
        return (
            "fell more than 10,000 frames behind: the server dropped it and it reconnected, "
            f"{ha['probes_written'] - ha['probes_seen']} probes lost ({queue})"
        )
    if window["drain_seconds"] is None:
        return f"still behind when the bench stopped waiting for it ({queue})"
    first, last = ha["p50_first_third_ms"], ha["p50_last_third_ms"]
    p50 = (ha["latency_ms"] or {}).get("p50", 0)
    if p50 > 100 or last > 2 * first + 5 or window["drain_seconds"] > 1:
        return (
            f"backlog: p50 {first:.0f} ms in the first third, {last:.0f} ms in the last, {queue}, "
            f"{window['drain_seconds']:.1f} s to drain"
        )
    return f"no backlog ({queue})"


def gc_pauses(pauses: dict[str, Any] | None) -> str | None:
    """Describe the garbage collections that held Home Assistant's loop during a window."""
    if pauses is None:
        return None
    if not pauses["count"]:
        return "none"
    return (
        f"{pauses['count']}, {pauses['total_ms']:.0f} ms in all, max {pauses['max_ms']:.0f} ms "
        f"({pauses['full']} full)"
    )


def latency_rows(label: str, window: dict[str, Any]) -> list[str]:
    """Rows of one measured window: Home Assistant and the floor."""
    rows = []
    for who, name in (("ha", "Home Assistant"), ("floor", "floor")):
        data = window[who]
        lat = data["latency_ms"] or {}
        rows.append(
            row(
                label,
                name,
                window["updates_per_s"],
                lat.get("p50"),
                lat.get("p90"),
                lat.get("p99"),
                lat.get("max"),
                f"{data['probes_seen']}/{data['probes_written']}",
                data["cpu_ms_per_update"],
                get(data, "server_wait_ms", "p99"),
                f"{data['frames_received']}/{data['frames_sent']}"
                if who == "floor"
                else None,
                gc_pauses(data.get("gc_pauses")) if who == "ha" else None,
            )
        )
    return rows


def markdown(results: dict[str, Any]) -> str:
    """Render a run as Markdown."""
    m = results["machine"]
    settings = results["settings"]
    sizes = results["sizes"]
    title = "# Smart Kitchen benchmark"
    if settings["quick"]:
        title += " (quick mode: tiny sizes, proves the code, measures nothing)"
    if settings.get("gc_freeze"):
        title += " — experiment: Home Assistant's heap frozen (`gc.freeze()`) after each first state"
    lines = [
        title,
        "",
        (
            f"Machine: {m['nproc']} {TIMES} {m['cpu']}, Python {m['python']}, Home Assistant "
            f"{m['home_assistant']}, Linux {m['kernel']}. The run took {results['duration_seconds']} s."
        ),
        "",
        f"- load before: `{results['load_before']}`",
        f"- load after: `{results['load_after']}`",
        "",
        "## Against the floor (issue 11)",
        "",
        *headline(results),
        "",
        *background(results),
        "## Push latency per step",
        "",
        (
            "Latency (ms): the server writes a probe frame → the state is in Home Assistant's state "
            "machine, or the floor client has read it. CPU (ms per update): the client's process time over "
            "the window / frames the server wrote to it. Server wait: how long the probe frames waited in "
            "the server for that client (publish → write, p99 ms), which grows when a client reads "
            "slower than the server writes. Frames: read by the floor / written to it in the window. GC "
            "pauses: Python's garbage collections in Home Assistant that held its loop for 20 ms or "
            "more within the window (full: of the oldest generation, which scans the whole heap)."
        ),
        "",
        row(
            "step",
            "client",
            "upd/s",
            "p50",
            "p90",
            "p99",
            "max",
            "probes seen/sent",
            "CPU ms/update",
            "server wait p99",
            "frames read/written",
            "GC pauses ≥ 20 ms",
        ),
        row(*["---"] * 12),
    ]
    for size, data in sizes.items():
        for name in ("idle", "baseline", "stress"):
            if name in data:
                lines += latency_rows(f"{size} appliances, {name}", data[name])
    lines += [
        "",
        "## First full state, and polling instead of push",
        "",
        (
            "First state: entry setup start → every entity has a state and the snapshot has been applied "
            "(cold: a new entry; warm: a reload). Bare entities: Home Assistant alone, adding as many "
            "do-nothing entities per platform on as many devices (benchmarks/ha_bare), in the same "
            "process: what any integration pays for that many entities. Polling: `GET /api/devices` every "
            f"{settings['poll_interval']:g} s during the probes-only window; staleness is change → first "
            "poll that shows it."
        ),
        "",
        row(
            "appliances",
            "entities",
            "HA cold",
            "HA warm",
            "bare entities (HA alone)",
            "floor p50",
            "poll staleness p50 / p99",
            "changes no poll saw",
            "poll bytes/hour",
            "push bytes/hour (floor, idle)",
        ),
        row(*["---"] * 10),
    ]
    for size, data in sizes.items():
        cold = data["ha_first_state_cold"]
        poll = get(data, "idle", "poll") or {}
        lines.append(
            row(
                size,
                cold["entities"],
                ms(cold["ms"], 0),
                ", ".join(ms(w["ms"], 0) for w in data["ha_first_state_warm"]),
                bare_first_state(data),
                ms(get(data, "floor_first_state_ms", "p50"), 1),
                p50_p99(poll.get("staleness")),
                f"{poll.get('never_seen')} of {poll.get('changes')}",
                poll.get("bytes_per_hour"),
                get(data, "idle", "floor", "bytes_per_hour"),
            )
        )
    lines += restarts(results) + scale(results) + spread(results)
    if errors := results["ha_log_errors"]:
        lines += ["", "Home Assistant logged these errors:", "", "```", *errors, "```"]
    return "\n".join(lines) + "\n"


def restarts(results: dict[str, Any]) -> list[str]:
    """Build the section on the restart cycles."""
    reconnect = get(
        results, "sizes", str(results["settings"]["reconnect_size"]), "reconnect"
    )
    if not reconnect:
        return []
    lines = [
        "",
        f"## Restarts: kill -9, restart on the same port ({results['settings']['reconnect_size']} appliances)",
        "",
        (
            "Recovery: the restarted server listens → every entity that was available is available again, "
            "the connection sensor is on and the new boot's snapshot is shown. Cycles follow each other "
            "like a restart storm, without reloading the entry. Floor: a bare client retrying every 10 ms."
        ),
        "",
        row(
            "outage",
            "cycles",
            "real outage p50",
            "recovery p50",
            "p95",
            "max",
            "floor p50",
        ),
        row(*["---"] * 7),
    ]
    for key, data in reconnect.items():
        if isinstance(data, dict):
            lines.append(
                row(
                    f"~{key}",
                    len(data["cycles"]),
                    sec(get(data, "outage_s", "p50")),
                    sec(get(data, "recovery_s", "p50")),
                    sec(data["recovery_p95_s"]),
                    sec(get(data, "recovery_s", "max")),
                    ms(get(data, "floor_recovery_ms", "p50"), 1),
                )
            )
    return lines


def scale(results: dict[str, Any]) -> list[str]:
    """Build the section on the server's scale figures."""
    data = results.get("server_scale")
    if not data:
        return []
    lines = [
        "",
        (
            f"## Server scale: {data['appliances']} appliances, {data['clients']} WebSocket clients "
            f"each subscribed to every appliance, tick {data['tick_s']:g} s"
        ),
        "",
        row("", "server CPU", "RSS", "frames written/s", f"CPU per frame ({MICRO}s)"),
        row(*["---"] * 5),
        row(
            "before the clients",
            None,
            f"{data['rss_mb_before_clients']} MB",
            None,
            None,
        ),
    ]
    for name, label in (
        ("idle", "clients connected, nothing busy"),
        ("loaded", f"{data['busy_appliances']} appliances busy"),
    ):
        w = data[name]
        lines.append(
            row(
                label,
                f"{w['cpu_share'] * 100:.1f} %",
                f"{w['rss_mb']} MB",
                w["frames_per_s"],
                w["cpu_us_per_frame"],
            )
        )
    lines += [
        "",
        f"Connecting the clients and writing their snapshots took {data['connect_and_snapshots_s']} s.",
    ]
    return lines


def spread(results: dict[str, Any]) -> list[str]:
    """Build the section on the reconnect spread of many library clients."""
    data = results.get("reconnect_spread")
    if not data:
        return []
    lines = [
        "",
        f"## Reconnect spread: {data['clients']} library clients, {data['cycles']} restarts",
        "",
        (
            "Each client is its own user (an oven, a fridge, a dishwasher), connected afresh before each "
            "restart (so its backoff starts over). Seconds from the restarted server listening to each "
            "`SmartKitchenConnection` being connected, and having its whole snapshot; spread: first to "
            "last client of one restart. (One user per client, like a building's kitchens; the server's "
            "throttle no longer refuses right passwords in flight together.)"
        ),
        "",
        row("", "p50", "p90", "p99", "max"),
        row(*["---"] * 5),
    ]
    for key, label in (
        ("connected_s", "connected"),
        ("snapshot_s", "whole snapshot"),
        ("spread_s", "spread"),
    ):
        st = data[key] or {}
        lines.append(
            row(label, st.get("p50"), st.get("p90"), st.get("p99"), st.get("max"))
        )
    lines += [
        "",
        "Whole snapshots per half second after the restart: "
        + ", ".join(f"{k} s: {v}" for k, v in data["histogram_s"].items()),
    ]
    return lines
