"""Speed of airpicture.metrics: PictureScorer over 900 epochs (~150 targets, ~100 tracks), the default scenario,
and 10,000 targets per epoch. Usage: python bench_metrics.py. Reports min and median wall time of repeats."""

import time

import numpy as np

from airpicture.metrics import PictureScorer, gospa, truth_at_epochs
from airpicture.scenario import builtin_path, load_scenario
from airpicture.truth import generate_truth

CPU = []


def timed(fn, reps=5):
    """(min wall s, median wall s, result); the min process CPU time is kept in CPU[-1] (the machine is shared)."""
    out = None
    ts, cpu = [], []
    for _ in range(reps):
        t0, c0 = time.perf_counter(), time.process_time()
        out = fn()
        ts.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    CPU.append(min(cpu))
    return min(ts), float(np.median(ts)), out


def synthetic(seed, E=900, n=150, m=100, formation=False):
    rng = np.random.default_rng(seed)
    p0 = rng.uniform(-2e5, 2e5, (n, 3))
    p0[:, 2] = rng.uniform(100, 1e4, n)
    if formation:  # groups of 10 inside 2 km boxes
        p0 = np.repeat(p0[::10], 10, axis=0)[:n] + rng.uniform(-1000, 1000, (n, 3))
    v = rng.normal(0, 200, (n, 3))
    v[:, 2] = 0
    out = []
    for e in range(E):
        x = np.c_[p0 + v * e, v]
        alive = np.flatnonzero(rng.random(n) < 0.98)
        tk = rng.choice(n, m, replace=False)
        tx = x[tk] + np.c_[rng.normal(0, 150, (m, 3)), rng.normal(0, 10, (m, 3))]
        out.append((float(e), alive.astype(np.int64), x[alive], (tk * 3 + e // 300).astype(np.int64), tx))
    return out


def loop(epochs, c=5000.0):
    s = PictureScorer(c)
    for ep in epochs:
        s.add_epoch(*ep)
    return s.finish()


PictureScorer(5000.0).finish()  # first-call imports (pyarrow -> pandas) out of the timings
for formation in (False, True):
    data = synthetic(1, formation=formation)
    lo, med, res = timed(lambda data=data: loop(data))
    print(
        f"synthetic 900 epochs x 150 targets x 100 tracks, formation={formation}: add_epoch loop + finish "
        f"min {lo:.3f} s, median {med:.3f} s, CPU {CPU[-1]:.3f} s"
    )

sc = load_scenario(builtin_path("default"))
truth = generate_truth(sc)
times = np.arange(0.0, sc.duration_s + 1e-9, 1.0)
ep, tid, x = truth_at_epochs(truth, times)
rng = np.random.default_rng(0)
keep = rng.random(ep.size) < 0.6
px = x[keep] + np.c_[rng.normal(0, 100, (keep.sum(), 3)), rng.normal(0, 5, (keep.sum(), 3))]
pe, pid = ep[keep], 1000 + tid[keep]
fa = rng.integers(0, times.size, 5 * times.size)  # 5 false tracks per epoch on average
pe = np.concatenate([pe, fa])
pid = np.concatenate([pid, 10_000 + np.arange(fa.size)])
px = np.concatenate([px, np.c_[rng.uniform(-2e5, 2e5, (fa.size, 3)), np.zeros((fa.size, 3))]])
o = np.argsort(pe, kind="stable")
pe, pid, px = pe[o], pid[o], px[o]
print(
    f"default scenario: {times.size} epochs, {ep.size} target-epochs (max {np.bincount(ep).max()} per epoch), "
    f"{pe.size} picture rows"
)
split_t = np.searchsorted(ep, np.arange(times.size + 1))
split_k = np.searchsorted(pe, np.arange(times.size + 1))
epochs = [
    (
        times[k],
        tid[split_t[k] : split_t[k + 1]],
        x[split_t[k] : split_t[k + 1]],
        pid[split_k[k] : split_k[k + 1]],
        px[split_k[k] : split_k[k + 1]],
    )
    for k in range(times.size)
]
lo, med, res = timed(lambda: loop(epochs))
print(
    f"  add_epoch loop + finish: min {lo:.3f} s, median {med:.3f} s, CPU {CPU[-1]:.3f} s; gospa_mean {res.summary['gospa_mean_m']:.0f} m"
)


def batch():
    s = PictureScorer(5000.0)
    s.add_epochs(times, ep, tid, x, pe, pid, px)
    return s.finish()


lo, med, res = timed(batch)
print(f"  add_epochs (one batch) + finish: min {lo:.3f} s, median {med:.3f} s, CPU {CPU[-1]:.3f} s")

# scale: 10,000 targets per epoch in 20-aircraft formations, 9,500 tracks + 1,000 false tracks, 30 epochs
rng = np.random.default_rng(2)
n = 10_000
p0 = np.repeat(rng.uniform(-1e6, 1e6, (n // 20, 3)), 20, axis=0) + rng.uniform(-2000, 2000, (n, 3))
v = rng.normal(0, 200, (n, 3))
big = []
for e in range(30):
    xx = np.c_[p0 + v * e, v]
    tk = np.sort(rng.choice(n, 9500, replace=False))
    tx = np.concatenate(
        [xx[tk] + rng.normal(0, 150, (9500, 6)), np.c_[rng.uniform(-1e6, 1e6, (1000, 3)), np.zeros((1000, 3))]]
    )
    big.append((float(e), np.arange(n), xx, np.concatenate([tk, n + np.arange(1000) + e * 1000]), tx))
lo, med, res = timed(lambda: loop(big), reps=3)
print(
    f"10,000 targets x 30 epochs (c = 5 km, formations): min {lo:.2f} s = {lo / 30 * 1e3:.0f} ms per epoch, CPU {CPU[-1]:.2f} s"
)
lo, med, _ = timed(lambda: gospa(big[0][2][:, :3], big[0][4][:, :3], 5000.0), reps=3)
print(f"single gospa() 10,000 x 10,500: min {lo * 1e3:.0f} ms, CPU {CPU[-1] * 1e3:.0f} ms")
