"""The tracker's IMM gate on the calls of a real run: record them once, then time ``kernels.gate_pairs`` on them with
any source tree, and check that two trees give the same distances and likelihoods bit for bit.

Usage::

    python benchmarks/bench_gate.py record saturation /tmp/gate_calls.pkl      # run the scenario, keep its gate calls
    python benchmarks/bench_gate.py time /tmp/gate_calls.pkl --save /tmp/out_after.pkl [--repeat 3]
    PYTHONPATH=/other/checkout/src python benchmarks/bench_gate.py time /tmp/gate_calls.pkl --check /tmp/out_after.pkl
    python benchmarks/bench_gate.py time /tmp/gate_calls.pkl --threads     # one thread against every core

``record`` keeps, for every IMM gate call of one ``run_scenario`` (events only), the tracks' arrays of the slots
involved and the batch's detections; ``time`` replays them all (a warm-up pass first, then ``--repeat`` passes),
printing the CPU seconds of each pass, and with ``--check`` counts the calls whose outputs differ from a saved set.
With ``--threads`` each pass is run twice, alternating, with the gate on one thread and split across every core
(``airpicture.threads``), printing wall and CPU seconds of both and checking that both give the same bits.
"""

from __future__ import annotations

import pickle
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from replay_args import record_calls, record_or_time

KEYS = ("pslot", "pdet", "trk_t", "xm", "Pm", "mu", "det_t", "det_z", "det_sig", "det_m", "spos", "srot", "kinds",
        "qs", "omegas", "kappa")


def record(scenario: str, path: Path) -> None:
    from airpicture.tracking import kernels

    def keep(pslot, pdet, trk_t, xm, Pm, mu, det_t, det_z, det_sig, det_m, spos, srot, kinds, qs, omegas, kappa,
             out_d2, out_lnn, gamma=None):
        if xm.shape[1] == 1:
            return None
        slots, local = np.unique(pslot, return_inverse=True)
        return {"pslot": local.astype(np.int64), "pdet": pdet.copy(), "trk_t": trk_t[slots].copy(),
                "xm": xm[slots].copy(), "Pm": Pm[slots].copy(), "mu": mu[slots].copy(), "det_t": det_t.copy(),
                "det_z": det_z.copy(), "det_sig": det_sig.copy(), "det_m": det_m.copy(), "spos": spos.copy(),
                "srot": srot.copy(), "kinds": kinds.copy(), "qs": qs.copy(), "omegas": omegas.copy(), "kappa": kappa,
                "gamma": None if gamma is None else gamma.copy()}

    calls = record_calls(kernels, "gate_pairs", scenario, keep)
    path.write_bytes(pickle.dumps(calls))
    print(f"{len(calls)} calls, {sum(c['pslot'].size for c in calls)} pairs -> {path}")


def replay(calls: list[dict]) -> list[tuple[np.ndarray, np.ndarray]]:
    from airpicture.tracking import kernels

    out = []
    for c in calls:
        n = c["pslot"].size
        d2, lnn = np.empty(n), np.empty(n)
        kernels.gate_pairs(*(c[k] for k in KEYS), d2, lnn, c["gamma"])
        out.append((d2, lnn))
    return out


def compare_threads(calls: list[dict], reference: list[tuple[np.ndarray, np.ndarray]], repeat: int) -> None:
    from airpicture import threads

    try:
        for i in range(repeat):
            for n in ((1, None) if i % 2 == 0 else (None, 1)):
                threads.set_threads(n)
                w0, c0 = time.perf_counter(), time.process_time()
                got = replay(calls)
                same = all(np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
                           for a, b in zip(got, reference, strict=True))
                label = "one thread" if n == 1 else f"{threads.threads()} threads"
                print(f"  pass {i + 1}, {label:>10}: {time.perf_counter() - w0:.3f} s wall, "
                      f"{time.process_time() - c0:.3f} s CPU, same bits as the first pass: {same}")
    finally:
        threads.set_threads(None)


def main() -> None:
    ap, t = record_or_time(__doc__)
    t.add_argument("--threads", action="store_true", help="one thread against every core, alternating")
    args = ap.parse_args()
    if args.cmd == "record":
        record(args.scenario, args.path)
        return
    import airpicture.tracking.kernels as kernels

    calls = pickle.loads(args.path.read_bytes())
    out = replay(calls)  # warm-up: loads the compiled kernels
    print(f"{kernels.__file__}: {len(calls)} calls, {sum(c['pslot'].size for c in calls)} pairs")
    if args.threads:
        compare_threads(calls, out, args.repeat)
    for i in range(0 if args.threads else args.repeat):
        t0 = time.process_time()
        replay(calls)
        print(f"  pass {i + 1}: {time.process_time() - t0:.3f} s CPU")
    if args.save:
        args.save.write_bytes(pickle.dumps(out))
    if args.check:
        ref = pickle.loads(args.check.read_bytes())
        bad = sum(not (np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])) for a, b in zip(out, ref, strict=True))
        print(f"  calls whose outputs differ from {args.check}: {bad}")


if __name__ == "__main__":
    main()
