"""Tracking and engagement figures of every built-in scenario over a few seeds: the before/after check of tracker
changes ("nothing in the built-in scenarios gets worse").

    python benchmarks/bench_builtin_tracking.py --seeds 1 2 3 4 5 6 --out /tmp/after.json
    git worktree add /tmp/before <commit>           # the code before the change
    PYTHONPATH=/tmp/before/src python benchmarks/bench_builtin_tracking.py --seeds 1 2 3 4 5 6 --out /tmp/before.json
    python benchmarks/bench_builtin_tracking.py --compare /tmp/before.json /tmp/after.json

Each run is the scenario as shipped with its seed replaced; the figures come from its ``summary.json`` (GOSPA
mean over the picture epochs, ID switches, false tracks, time to track; kills and leakers). Only public entry
points are used (``load_scenario``, ``run_scenario``), so the same file runs against an older checkout.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

FIGURES = {"gospa": ("tracking", "gospa_mean_m"), "id_switches": ("tracking", "id_switches"),
           "false_tracks": ("tracking", "false_tracks"), "time_to_track_s": ("tracking", "time_to_track_mean_s"),
           "kills": ("engagement", "kills"), "leakers": ("engagement", "leakers")}


def measure(names: list[str], seeds: list[int]) -> dict[str, list[dict]]:
    from airpicture.engine import run_scenario
    from airpicture.scenario import load_scenario

    out: dict[str, list[dict]] = {}
    for name in names:
        for seed in seeds:
            sc = load_scenario(name)
            sc = sc.model_copy(update={"seed": seed})
            t0 = time.perf_counter()
            s = run_scenario(sc).summary
            row = {k: s.get(stage, {}).get(key) for k, (stage, key) in FIGURES.items()}
            row.update(seed=seed, seconds=round(time.perf_counter() - t0, 1))
            out.setdefault(name, []).append(row)
            print(name, json.dumps(row), flush=True)
    return out


def compare(before: dict[str, list[dict]], after: dict[str, list[dict]]) -> str:
    """A Markdown table: mean GOSPA over the seeds, totals of the counts, before and after."""
    lines = ["| scenario | seeds | GOSPA before | after | ratio | ID switches | false tracks | kills | leakers | "
             "time to track, s |", "|---|---:|---:|---:|---:|---|---|---|---|---|"]
    for name in after:
        if name not in before:
            continue
        b, a = before[name], after[name]

        def mean(rows, k):
            vals = [r[k] for r in rows if r[k] is not None]
            return sum(vals) / len(vals) if vals else float("nan")

        def total(rows, k):
            return sum(r[k] or 0 for r in rows)

        gb, ga = mean(b, "gospa"), mean(a, "gospa")
        lines.append(f"| {name} | {len(a)} | {gb:,.0f} | {ga:,.0f} | {ga / gb:.3f} | "
                     f"{total(b, 'id_switches'):.0f} → {total(a, 'id_switches'):.0f} | "
                     f"{total(b, 'false_tracks'):.0f} → {total(a, 'false_tracks'):.0f} | "
                     f"{total(b, 'kills'):.0f} → {total(a, 'kills'):.0f} | "
                     f"{total(b, 'leakers'):.0f} → {total(a, 'leakers'):.0f} | "
                     f"{mean(b, 'time_to_track_s'):.0f} → {mean(a, 'time_to_track_s'):.0f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scenarios", nargs="+", default=None, help="built-in names (default: every one)")
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4, 5, 6])
    ap.add_argument("--out", type=Path, default=None, help="write the figures to this JSON file")
    ap.add_argument("--compare", type=Path, nargs=2, metavar=("BEFORE", "AFTER"), default=None,
                    help="print the table of two earlier --out files instead of running")
    args = ap.parse_args(argv)
    if args.compare:
        before, after = (json.loads(p.read_text()) for p in args.compare)
        print(compare(before, after))
        return 0
    from airpicture.scenario import builtin_names

    res = measure(args.scenarios or list(builtin_names()), args.seeds)
    if args.out is not None:
        args.out.write_text(json.dumps(res, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
