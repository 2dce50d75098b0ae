"""SHA-256 of every output file of every built-in scenario: a check that a refactoring changed no result.

    python tools/output_hashes.py [--seed 1] [--scenarios default teaching] [--keep DIR] > hashes.txt

Runs ``airpicture run NAME --seed SEED --quiet --out DIR/NAME`` for each built-in scenario (``airpicture
scenarios``, or those named) in a fresh process with this checkout's ``src`` (or ``--src``, e.g. an export of an
earlier commit: ``git archive COMMIT src | tar -x -C /tmp/old``) first on ``PYTHONPATH``, then prints
one line ``sha256  NAME/relative/path`` per output file, sorted. Compare two such listings with ``diff``. Files
that record the scenario as written (``scenario.toml``) or the run's own circumstances (``manifest.json``: times,
versions) differ when those do; every table, figure and report should not.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
import tempfile
from pathlib import Path

SRC = str(Path(__file__).resolve().parents[1] / "src")


def builtin_names(src: str) -> list[str]:
    """The built-in scenario names of the code under ``src``, asked in a fresh process."""
    out = subprocess.run([sys.executable, "-c", "from airpicture.scenario import builtin_names as b; "
                          "print('\\n'.join(b()))"], env=dict(os.environ, PYTHONPATH=src), check=True,
                         capture_output=True, text=True).stdout
    return out.split()


def hashes(folder: Path, prefix: str) -> list[str]:
    """``sha256  prefix/path`` for every file under ``folder``, sorted by path."""
    lines = []
    for p in sorted(folder.rglob("*")):
        if p.is_file():
            lines.append(f"{hashlib.sha256(p.read_bytes()).hexdigest()}  {prefix}/{p.relative_to(folder).as_posix()}")
    return lines


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--scenarios", nargs="+", help="built-in names (default: all)")
    ap.add_argument("--src", default=SRC, help="the src folder of the code to run (default: this checkout's)")
    ap.add_argument("--keep", help="write the results folders here and keep them (default: a temporary folder)")
    args = ap.parse_args()
    names = args.scenarios or builtin_names(args.src)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(args.keep) if args.keep else Path(tmp)
        root.mkdir(parents=True, exist_ok=True)
        for name in names:
            out = root / name
            subprocess.run([sys.executable, "-m", "airpicture.cli", "run", name, "--seed", str(args.seed), "--quiet",
                            "--out", str(out)], env=dict(os.environ, PYTHONPATH=args.src), check=True)
            print("\n".join(hashes(out, name)), flush=True)


if __name__ == "__main__":
    main()
