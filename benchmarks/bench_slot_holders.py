"""The decision log's "least threatening slot holder" of every refusal at capacity, on the refusals of a real run: record
them once, then time ``tracking.decisions._slot_holders`` on them with any source tree, and check that two trees
name the same holders at the same distances.

Usage::

    python benchmarks/bench_slot_holders.py record saturation /tmp/holders.pkl
    python benchmarks/bench_slot_holders.py time /tmp/holders.pkl --save /tmp/holders_out.pkl [--repeat 3]
    PYTHONPATH=/other/checkout/src python benchmarks/bench_slot_holders.py time /tmp/holders.pkl --check /tmp/holders_out.pkl

``record`` keeps the arguments of the call the decision log makes in one ``run_scenario`` (the history table, the
refusal times, the assets); ``time`` replays it ``--repeat`` times and prints the CPU seconds of each. A scenario
with 10,000 threats: ``bench_memory.scaled_default(10000, DIR)`` (~260,000 refusals at the radar's capacity).
"""

from __future__ import annotations

import pickle
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from replay_args import record_calls, record_or_time


def record(scenario: str, path: Path) -> None:
    from airpicture.tracking import decisions

    calls = record_calls(decisions, "_slot_holders", scenario, lambda *args: args, tables=("events", "decisions"))
    path.write_bytes(pickle.dumps(calls))
    print(f"{len(calls)} call(s), {sum(len(c[7]) for c in calls)} refusals -> {path}")


def main() -> None:
    args = record_or_time(__doc__)[0].parse_args()
    if args.cmd == "record":
        record(args.scenario, args.path)
        return
    from airpicture.tracking import decisions

    calls = pickle.loads(args.path.read_bytes())
    print(f"{decisions.__file__}: {len(calls)} call(s), {sum(len(c[7]) for c in calls)} refusals")
    out = []
    for i in range(args.repeat):
        t0 = time.process_time()
        out = [decisions._slot_holders(*c) for c in calls]
        print(f"  pass {i + 1}: {time.process_time() - t0:.3f} s CPU")
    if args.save:
        args.save.write_bytes(pickle.dumps(out))
    if args.check:
        ref = pickle.loads(args.check.read_bytes())
        same = all(np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1], equal_nan=True)
                   for a, b in zip(out, ref, strict=True))
        print(f"  same holders and distances as {args.check}: {same}")


if __name__ == "__main__":
    main()
