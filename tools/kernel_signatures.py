"""Write ``src/airpicture/kernel_signatures.json``: the compiled kernels every built-in scenario calls, with the
argument types it calls them with (what :mod:`airpicture.precompile` compiles ahead of a first run).

Usage::

    python tools/kernel_signatures.py            # rewrite the table from this tree's built-in scenarios
    python tools/kernel_signatures.py --check    # exit code 1 if the table differs from what the scenarios call

Each built-in scenario is run twice in a fresh process (``run_scenario``, no output folder): once so that the
on-disk cache holds its kernels, then again to list the signatures of the kernels the run called from Python.
With a warm cache Numba loads only those entry points (the helpers they call come linked into them), so the list
holds the kernels worth compiling ahead, not the helpers that compile inside them.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TABLE = ROOT / "src" / "airpicture" / "kernel_signatures.json"
SCENARIOS = ("default", "teaching", "saturation", "ballistic", "air-traffic", "terrain")

COLLECT = """
import json, sys
from airpicture.compiled import RUN_KERNEL_MODULES, TERRAIN_KERNEL_MODULES, _dispatchers
from airpicture.engine import run_scenario
from airpicture.precompile import encode_type
from airpicture.progress import Silent
from airpicture.scenario import load_scenario
run_scenario(load_scenario(sys.argv[1]), Silent(), keep=("events",))
found = {}
for d in _dispatchers(RUN_KERNEL_MODULES + TERRAIN_KERNEL_MODULES):
    sigs = [[encode_type(t) for t in sig] for sig in d.signatures]
    if sigs:
        found[f"{d.py_func.__module__}:{d.py_func.__qualname__}"] = sigs
json.dump(found, sys.stdout)
"""


def collect(name: str, warm_up: bool = True) -> dict[str, list]:
    """The kernels scenario ``name`` calls from Python, with their signatures (a fresh process; ``warm_up`` runs it
    once before, so that the cache holds every kernel and the listing has no helpers compiled on the way)."""
    if warm_up:
        subprocess.run([sys.executable, "-c", COLLECT, name], check=True, capture_output=True)  # fills the cache
    out = subprocess.run([sys.executable, "-c", COLLECT, name], check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


def table() -> dict:
    import numba

    kernels: dict[str, list] = {}
    for name in SCENARIOS:
        for kernel, sigs in collect(name).items():
            known = kernels.setdefault(kernel, [])
            known += [s for s in sigs if s not in known]
    ordered = {k: sorted(kernels[k], key=json.dumps) for k in sorted(kernels)}
    return {"about": "written by tools/kernel_signatures.py from the built-in scenarios " + ", ".join(SCENARIOS),
            "numba": numba.__version__, "kernels": ordered}


def dumps(new: dict) -> str:
    """The table as JSON with one line per signature (readable diffs)."""
    lines = ["{", f' "about": {json.dumps(new["about"])},', f' "numba": {json.dumps(new["numba"])},', ' "kernels": {']
    items = list(new["kernels"].items())
    for i, (kernel, sigs) in enumerate(items):
        lines.append(f"  {json.dumps(kernel)}: [")
        lines += [f"   {json.dumps(sig, separators=(',', ':'))}" + ("," if j < len(sigs) - 1 else "") for j, sig in enumerate(sigs)]
        lines.append("  ]" + ("," if i < len(items) - 1 else ""))
    return "\n".join([*lines, " }", "}"]) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    new = table()
    text = dumps(new)
    if args.check:
        old = json.loads(TABLE.read_text())
        same = old["kernels"] == new["kernels"]
        print("kernel_signatures.json is " + ("up to date" if same else "STALE: run tools/kernel_signatures.py"))
        return 0 if same else 1
    TABLE.write_text(text)
    print(f"wrote {TABLE} ({len(new['kernels'])} kernels)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
