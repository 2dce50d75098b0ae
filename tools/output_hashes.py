"""sha256 of every output file of ``airpicture run NAME --seed 1`` for each built-in scenario.

Usage::

    python tools/output_hashes.py                       # print the digests of this tree's outputs
    python tools/output_hashes.py --save before.json    # record them (e.g. before a refactoring)
    python tools/output_hashes.py --check before.json   # compare with a record; exit code 1 on a difference
    python tools/output_hashes.py --src /other/tree/src default ballistic

Each scenario runs in a fresh process (``python -m airpicture.cli run NAME --seed 1 --quiet --out TMP``) with
``PYTHONPATH`` set to the ``src`` folder measured, into a fresh temporary folder. Text files that name the
checkout (the air-traffic scenario's replay file is an absolute path in ``scenario.toml`` and
``manifest.json``) are hashed with that path replaced by ``<SRC>`` (and the manifest's byte counts of such files
taken after the replacement), so two checkouts compare equal when their outputs are.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

TEXT_SUFFIXES = {".toml", ".json", ".txt", ".csv", ".html"}


def normalised(path: Path, src: Path) -> bytes:
    """The bytes of one file; text files with the checkout's path replaced by ``<SRC>``."""
    data = path.read_bytes()
    if path.suffix in TEXT_SUFFIXES:
        for root in sorted({str(src), str(src.parent)}, key=len, reverse=True):
            data = data.replace(root.encode(), b"<SRC>")
    if path.name == "manifest.json":  # byte counts of the files whose text names the checkout
        manifest = json.loads(data)
        for entry in manifest.get("contents", []):
            if "bytes" in entry and (path.parent / entry["name"]).is_file():
                entry["bytes"] = len(normalised(path.parent / entry["name"], src))
        data = json.dumps(manifest, indent=2).encode()
    return data


def digest(path: Path, src: Path) -> str:
    """sha256 (hex) of one file as :func:`normalised` gives it."""
    return hashlib.sha256(normalised(path, src)).hexdigest()


def run_one(name: str, src: Path, tmp: Path) -> dict[str, str]:
    """Digests of one scenario's results folder, keyed ``NAME/relative/path``."""
    out = tmp / name
    cmd = [sys.executable, "-m", "airpicture.cli", "run", name, "--seed", "1", "--quiet", "--out", str(out)]
    env = {**os.environ, "PYTHONPATH": str(src)}
    proc = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stderr}")
    return {f"{name}/{p.relative_to(out)}": digest(p, src) for p in sorted(out.rglob("*")) if p.is_file()}


def builtin_names(src: Path) -> list[str]:
    """The built-in scenario names, as the measured tree lists them."""
    code = "from airpicture.scenario import builtin_names; print(' '.join(builtin_names()))"
    env = {**os.environ, "PYTHONPATH": str(src)}
    return subprocess.run([sys.executable, "-c", code], env=env, check=True, capture_output=True,
                          text=True).stdout.split()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("scenarios", nargs="*", help="built-in names (default: all)")
    ap.add_argument("--src", type=Path, default=Path(__file__).resolve().parents[1] / "src")
    ap.add_argument("--save", type=Path, help="write the digests to this JSON file")
    ap.add_argument("--check", type=Path, help="compare with the digests in this JSON file")
    ap.add_argument("--jobs", type=int, default=2, help="scenarios run at once")
    args = ap.parse_args()
    src = args.src.resolve()
    names = args.scenarios or builtin_names(src)
    with tempfile.TemporaryDirectory() as tmp, ThreadPoolExecutor(args.jobs) as pool:
        parts = list(pool.map(lambda n: run_one(n, src, Path(tmp)), names))
    digests = {k: v for part in parts for k, v in part.items()}
    for key, value in digests.items():
        print(f"{value}  {key}")
    if args.save:
        args.save.write_text(json.dumps(digests, indent=1, sort_keys=True) + "\n")
    if args.check:
        expected = json.loads(args.check.read_text())
        expected = {k: v for k, v in expected.items() if k.split("/")[0] in names}
        differ = sorted(k for k in expected.keys() | digests.keys() if expected.get(k) != digests.get(k))
        for key in differ:
            print(f"DIFFERS: {key} (expected {expected.get(key, '-')[:12]}, got {digests.get(key, '-')[:12]})")
        print(f"{len(digests)} files, {len(differ)} differ")
        return 1 if differ else 0
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
