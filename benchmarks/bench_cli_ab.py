"""``airpicture run`` as a user runs it (fresh process each time), two source trees side by side.

Usage::

    python benchmarks/bench_cli_ab.py --before /path/to/main/src --after src default saturation --repeat 3
    python benchmarks/bench_cli_ab.py --before ... --after src saturation --args --json   # as in the issue
    python benchmarks/bench_cli_ab.py --before ... --after src --threats 10000 --repeat 1

For each scenario (built-in names, files, or the default scenario scaled to N threats as
``benchmarks/bench_memory.py`` builds it), the two trees' ``python -m airpicture.cli run SCENARIO --seed 1 --out
TMP --quiet [ARGS]`` alternate, ``--repeat`` times each (one untimed run of each first, so both find their
compiled kernels in the on-disk cache: the "later runs" of the issue). Each child's wall time, CPU time (user +
system, from ``os.wait4``) and peak resident set size (``ru_maxrss``) are recorded; medians are printed with the
after/before ratio. The outputs of the two trees are compared file by file (sha256): they must be identical.
On a shared machine CPU seconds are the steadier figure; wall time is what a user waits.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def run_child(src: Path, scenario: str, out: Path, extra: list[str]) -> tuple[float, float, float]:
    """(wall s, CPU s, peak RSS MB) of one ``airpicture run`` child importing the package from ``src``."""
    shutil.rmtree(out, ignore_errors=True)
    cmd = [sys.executable, "-m", "airpicture.cli", "run", scenario, "--seed", "1", "--out", str(out), "--quiet",
           *extra]
    env = {**os.environ, "PYTHONPATH": str(src)}
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed with exit code {proc.returncode}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def digests(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("scenarios", nargs="*", default=["default"])
    ap.add_argument("--before", type=Path, required=True, help="src folder of the tree measured first")
    ap.add_argument("--after", type=Path, required=True, help="src folder of the tree measured second")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--threats", type=int, nargs="*", default=[])
    ap.add_argument("--args", nargs=argparse.REMAINDER, default=[], help="extra arguments of airpicture run")
    args = ap.parse_args()
    sys.path.insert(0, str(Path(__file__).parent))
    from bench_memory import scaled_default

    tmp = Path(tempfile.mkdtemp())
    trees = {"before": args.before.resolve(), "after": args.after.resolve()}
    try:
        names = [*args.scenarios, *(str(scaled_default(n, tmp)) for n in args.threats)]
        print(f"load average at start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; "
              f"extra arguments: {' '.join(args.args) or '-'}")
        print(f"{'scenario':<16} {'tree':<7} {'wall s':>8} {'CPU s':>8} {'peak MB':>8}   (medians of {args.repeat})")
        for name in names:
            label = Path(name).stem if name.endswith(".toml") else name
            for tree, src in trees.items():  # untimed: both trees find their kernels compiled
                run_child(src, name, tmp / f"{tree}-warm", args.args)
            rows: dict[str, list[tuple[float, float, float]]] = {t: [] for t in trees}
            for _ in range(args.repeat):
                for tree, src in trees.items():
                    rows[tree].append(run_child(src, name, tmp / tree, args.args))
            med = {t: [statistics.median(r[k] for r in rows[t]) for k in range(3)] for t in trees}
            for tree in trees:
                w, c, m = med[tree]
                print(f"{label:<16} {tree:<7} {w:>8.2f} {c:>8.2f} {m:>8.0f}")
            (wb, cb, mb), (wa, ca, ma) = med["before"], med["after"]
            same = digests(tmp / "before") == digests(tmp / "after")
            print(f"{label:<16} {'ratio':<7} {wa / wb:>8.2f} {ca / cb:>8.2f} {ma / mb:>8.2f}   outputs "
                  f"{'identical' if same else 'DIFFER'}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
