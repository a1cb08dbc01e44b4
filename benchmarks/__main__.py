"""Command line: `python -m benchmarks [--quick] [--out DIR] [--keep] [--render]` (`scripts/bench`)."""

import argparse
import asyncio
from dataclasses import replace
import json
from pathlib import Path
import shutil
import sys
import tempfile
import time

from .report import markdown
from .rpc import REPO
from .run import FULL, QUICK, Bench


def main() -> int:
    """Run the benchmark and write `latest.json` and `latest.md`."""
    parser = argparse.ArgumentParser(
        prog="scripts/bench", description="Smart Kitchen benchmarks (see README.md)."
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="every step at a tiny size (for the test suite)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=REPO / "benchmarks" / "results",
        help="where latest.json and latest.md go (default %(default)s)",
    )
    parser.add_argument(
        "--keep",
        action="store_true",
        help="keep the work directory (logs, probe files)",
    )
    parser.add_argument(
        "--gc-freeze",
        action="store_true",
        help="experiment: freeze Home Assistant's heap (gc.freeze) after each first state",
    )
    parser.add_argument(
        "--render",
        action="store_true",
        help="only write latest.md again from the latest.json in --out (no measuring)",
    )
    args = parser.parse_args()
    if args.render:
        results = json.loads((args.out / "latest.json").read_text(encoding="utf-8"))
        (args.out / "latest.md").write_text(markdown(results), encoding="utf-8")
        return 0
    workdir = Path(tempfile.mkdtemp(prefix="smart-kitchen-bench-"))
    started = time.monotonic()

    def say(message: str) -> None:
        print(
            f"bench {time.monotonic() - started:5.1f} s: {message}",
            file=sys.stderr,
            flush=True,
        )

    say(f"work directory {workdir}")
    try:
        settings = replace(QUICK if args.quick else FULL, gc_freeze=args.gc_freeze)
        results = asyncio.run(Bench(settings, workdir, say).run())
    except BaseException:
        say(f"failed; logs kept in {workdir}")
        raise
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "latest.json").write_text(
        json.dumps(results, indent=1) + "\n", encoding="utf-8"
    )
    (args.out / "latest.md").write_text(markdown(results), encoding="utf-8")
    say(f"results in {args.out}/latest.json and latest.md")
    if args.keep:
        say(f"work directory kept: {workdir}")
    else:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
