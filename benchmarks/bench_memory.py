"""Peak memory of ``airpicture run`` as a user runs it (report included), against the estimate of the work budget.

Usage::

    python benchmarks/bench_memory.py --threats 2000 10000            # the default scenario scaled up
    python benchmarks/bench_memory.py --builtin teaching default saturation
    python benchmarks/bench_memory.py --threats 100000 --limit-gb 17 --max-memory 17GB

Each case is one ``airpicture run SCENARIO --out TMP --quiet`` in a fresh process. Its peak resident set size
(RSS) is the kernel's ``ru_maxrss`` of the finished child (from ``os.wait4``, the figure ``/usr/bin/time -v``
prints as "Maximum resident set size"); a watchdog samples the child's RSS every 0.2 s from
/proc and kills it above ``--limit-gb`` (this machine is shared). The scaled scenarios are the built-in
``default`` with every raid's count multiplied so that the threats add up to N (same 15 minutes, same two radars,
one battery with 100 track slots, the same 24 airliners). Prints wall time, peak RSS, the budget's estimate, the
results' size on disk and the exit code; ``--json`` writes them to a file.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import tomllib
from pathlib import Path

import pyarrow.parquet as pq
import tomli_w

from airpicture.budget import estimate_run
from airpicture.scenario import builtin_path, load_scenario


def scaled_default(threats: int, folder: Path) -> Path:
    """The built-in default scenario with its raids scaled to ``threats`` threats in all (proportions kept)."""
    data = tomllib.loads(builtin_path("default").read_text(encoding="utf-8"))
    total = sum(r["count"] for r in data["raids"])
    left = threats
    for i, raid in enumerate(data["raids"]):
        raid["count"] = left if i == len(data["raids"]) - 1 else round(raid["count"] * threats / total)
        left -= raid["count"]
    data["name"] = f"default-{threats}"
    data["description"] = f"The default scenario with {threats} threats"
    path = folder / f"default-{threats}.toml"
    path.write_bytes(tomli_w.dumps(data).encode())
    return path


def rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def measure(scenario: str, out: Path, limit_mb: float, extra: list[str], src: Path | None = None) -> dict:
    """Run one ``airpicture run`` child (of the source tree ``src`` if given); its wall time, peak RSS (the
    child's own ru_maxrss) and exit code."""
    cmd = [sys.executable, "-m", "airpicture.cli", "run", scenario, "--out", str(out), "--quiet", *extra]
    env = {**os.environ, **({"PYTHONPATH": str(src)} if src is not None else {})}
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
    killed: dict[str, float | None] = {"at_mb": None}
    err: list[str] = []
    reader = threading.Thread(target=lambda: err.extend(proc.stderr.readlines()), daemon=True)
    reader.start()

    def watch() -> None:
        while proc.returncode is None:
            mb = rss_mb(proc.pid)
            if mb > limit_mb:
                killed["at_mb"] = mb
                os.kill(proc.pid, signal.SIGKILL)
                return
            time.sleep(0.2)

    threading.Thread(target=watch, daemon=True).start()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - t0
    reader.join(timeout=5)
    return {"command": " ".join(["airpicture", *cmd[3:]]), "exit_code": proc.returncode, "wall_s": round(wall, 1),
            "peak_rss_mb": round(usage.ru_maxrss / 1024), "killed_by_watchdog_at_mb": killed["at_mb"],
            "stderr_tail": [line.rstrip() for line in err[-3:]]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threats", type=int, nargs="*", default=[], help="scaled default scenarios")
    ap.add_argument("--builtin", nargs="*", default=[], help="built-in scenario names")
    ap.add_argument("--limit-gb", type=float, default=17.0, help="watchdog: kill a run above this RSS")
    ap.add_argument("--max-memory", default=None, help="passed to airpicture run (e.g. 17GB)")
    ap.add_argument("--no-report", action="store_true")
    ap.add_argument("--json", type=Path, default=None, help="write the results here")
    ap.add_argument("--compare-src", type=Path, default=None,
                    help="also run every case with this source tree (the src/ of another checkout, e.g. an older "
                         "commit), alternating with this one, after a warm-up run of it (its compiled kernels)")
    args = ap.parse_args()
    if not args.threats and not args.builtin:
        args.threats = [2000, 10000]
    tmp = Path(tempfile.mkdtemp(prefix="bench-memory-"))
    extra = (["--max-memory", args.max_memory] if args.max_memory else []) + (["--no-report"] if args.no_report
                                                                               else [])
    rows = []
    try:
        cases = [(n, str(scaled_default(n, tmp))) for n in args.threats] + [(b, b) for b in args.builtin]
        sources: list[Path | None] = [None]
        if args.compare_src is not None:
            sources.append(args.compare_src)
            # the other tree's compiled kernels are cached on its first run: not timed
            measure("teaching", tmp / "warm-up", args.limit_gb * 1024, [], args.compare_src)
            shutil.rmtree(tmp / "warm-up", ignore_errors=True)
        print(f"{'case':<12} {'exit':>4} {'wall s':>8} {'peak RSS MB':>12} {'estimate MB':>12} {'disk MB':>8}")
        for (label, scenario), src in ((c, s) for c in cases for s in sources):
            est = estimate_run(load_scenario(scenario), report=not args.no_report)
            out = tmp / f"run-{label}"
            tag = f"{label}" if src is None else f"{label}@{src}"
            # an older tree may lack --max-memory: it only gets --no-report
            options = extra if src is None else (["--no-report"] if args.no_report else [])
            row = {"case": tag, **measure(scenario, out, args.limit_gb * 1024, options, src),
                   "estimate_mb": round(est.peak_bytes / 1e6), "estimate_phases_mb":
                   {k: round(v / 1e6) for k, v in est.phases.items()}}
            row["disk_mb"] = round(sum(p.stat().st_size for p in out.rglob("*") if p.is_file()) / 1e6, 1) \
                if out.exists() else None
            row["rows"] = {name: pq.ParquetFile(out / f"{name}.parquet").metadata.num_rows
                           for name in ("truth", "detections", "tracks", "picture")
                           if (out / f"{name}.parquet").exists()}
            row["estimated_rows"] = {part.name: round(part.count) for part in est.parts}
            rows.append(row)
            print(f"{tag!s:<12} {row['exit_code']:>4} {row['wall_s']:>8} {row['peak_rss_mb']!s:>12} "
                  f"{row['estimate_mb']:>12} {row['disk_mb']!s:>8}", flush=True)
            if row["exit_code"] != 0:
                print("   ", *row["stderr_tail"], sep="\n    ")
            shutil.rmtree(out, ignore_errors=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2) + "\n")


if __name__ == "__main__":
    main()
