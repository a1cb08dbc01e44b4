"""Smart Kitchen benchmarks: push latency, cost, first state and reconnects, measured against the floor.

`scripts/bench` (or `python -m benchmarks`) runs every step; `--quick` runs each at a tiny size so the test
suite can prove the code still works. See README.md, section *Benchmarks*, for the method.
"""
