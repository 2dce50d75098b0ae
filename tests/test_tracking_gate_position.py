"""The IMM gate's position-only prediction (:func:`kernels.imm_predict_position`) gives, bit for bit, the position
part of the full prediction (:func:`kernels.imm_predict` then :func:`kernels.combine`), and the gate built on it
gives the same distances and likelihoods as the full prediction composed step by step -- for CV, ballistic and
coordinated-turn models, one to three of them, covariances that are not exactly symmetric (as the store's are
not), past and future detection times."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from airpicture.tracking import kernels

MODELS = [(kernels.CV, 1.0, 0.0), (kernels.BALLISTIC, 4.0, 0.0), (kernels.CT, 9.0, 0.05), (kernels.CT, 9.0, -0.05),
          (kernels.CT, 2.0, 0.0)]


def _tracks(rng: np.random.Generator, n: int, m_models: int):
    xm = np.empty((n, m_models, 6))
    Pm = np.empty((n, m_models, 6, 6))
    for i in range(n):
        base = np.r_[rng.uniform(-150e3, 150e3, 2), rng.uniform(50, 12e3), rng.normal(0, 250, 3)]
        for m in range(m_models):
            xm[i, m] = base + rng.normal(0, [80, 80, 40, 15, 15, 5])
            A = rng.normal(size=(6, 6)) * [300, 300, 150, 20, 20, 8]
            P = A @ A.T + np.diag([1e3, 1e3, 5e2, 10, 10, 4])
            Pm[i, m] = P + rng.normal(0, 1e-9, (6, 6)) * np.abs(P)  # not exactly symmetric
    mu = rng.dirichlet(np.ones(m_models), n)
    return xm, Pm, mu


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), m_models=st.integers(1, 3), pick=st.permutations(range(len(MODELS))))
def test_position_prediction_is_the_full_one(seed, m_models, pick):
    rng = np.random.default_rng(seed)
    chosen = [MODELS[p] for p in pick[:m_models]]
    kinds = np.array([c[0] for c in chosen], np.int64)
    qs = np.array([c[1] for c in chosen])
    omegas = np.array([c[2] for c in chosen])
    xm, Pm, mu = _tracks(rng, 1, m_models)
    kappa = 0.08
    for dt in (float(rng.uniform(-3, 0)), float(rng.uniform(0, 12)), 0.0):
        xo, Po, c = np.empty((m_models, 6)), np.empty((m_models, 6, 6)), np.empty(m_models)
        xc, Pc = np.empty(6), np.empty((6, 6))
        kernels.imm_predict(xm[0], Pm[0], mu[0], dt, kinds, qs, omegas, kappa, xo, Po, c, np.empty(6),
                            np.empty((6, 6)))
        kernels.combine(xo, Po, c, xc, Pc)
        yo, Qo, d = np.zeros((m_models, 6)), np.zeros((m_models, 6, 6)), np.empty(m_models)
        yc, Qc = np.zeros(6), np.zeros((6, 6))
        kernels.imm_predict_position(xm[0], Pm[0], mu[0], dt, kinds, qs, omegas, kappa, yo, Qo, d, np.empty(6),
                                     np.empty((6, 6)), yc, Qc)
        np.testing.assert_array_equal(d, c)
        np.testing.assert_array_equal(yo[:, :3], xo[:, :3])
        np.testing.assert_array_equal(Qo[:, :3, :3], Po[:, :3, :3])
        np.testing.assert_array_equal(yc[:3], xc[:3])
        np.testing.assert_array_equal(Qc[:3, :3], Pc[:3, :3])


def _reference_gate(pslot, pdet, trk_t, xm, Pm, mu, det_t, det_z, det_sig, det_m, spos, srot, kinds, qs, omegas,
                    kappa, gamma):
    """The IMM gate composed from the full prediction, one pair at a time."""
    m_models = xm.shape[1]
    d2_out = np.empty(pslot.size)
    lnn_out = np.empty(pslot.size)
    scratch = (np.empty(4), np.empty((4, 4)), np.zeros((4, 4)), np.empty((6, 4)), np.empty((4, 6)), np.empty(4),
               np.empty(4))
    for k, (i, j) in enumerate(zip(pslot, pdet, strict=True)):
        m = int(det_m[j])
        xo, Po, c = np.empty((m_models, 6)), np.empty((m_models, 6, 6)), np.empty(m_models)
        xc, Pc = np.empty(6), np.empty((6, 6))
        kernels.imm_predict(xm[i], Pm[i], mu[i], det_t[j] - trk_t[i], kinds, qs, omegas, kappa, xo, Po, c,
                            np.empty(6), np.empty((6, 6)))
        kernels.combine(xo, Po, c, xc, Pc)
        d2, _, ok = kernels.innovation(xc, Pc, det_z[j], det_sig[j], m, spos, srot, *scratch)
        d2_out[k] = d2 if ok else math.inf
        if not d2_out[k] <= gamma[m]:
            lnn_out[k] = -math.inf
            continue
        lnm = []
        for mm in range(m_models):
            d2m, logdet, okm = kernels.innovation(xo[mm], Po[mm], det_z[j], det_sig[j], m, spos, srot, *scratch)
            lnm.append(math.log(c[mm]) - 0.5 * (d2m + logdet + m * kernels.LOG_2PI) if okm else -math.inf)
        best = max(lnm)
        lnn_out[k] = -math.inf if best == -math.inf else best + math.log(sum(math.exp(v - best) for v in lnm))
    return d2_out, lnn_out


def gate_problem(rng: np.random.Generator, m_models: int, n_trk: int, n_det: int) -> tuple[tuple, np.ndarray]:
    """A gate call over every (track, detection) pair: the arguments of :func:`kernels.gate_pairs` before its
    outputs, and the gate thresholds. Tracks of ``m_models`` models (CV, then turns); detections near the tracks
    (some inside the gate, some outside), 3-D and with range rate."""
    kinds = np.array([kernels.CV, kernels.CT, kernels.CT][:m_models], np.int64)
    qs = np.array([1.0, 9.0, 9.0][:m_models])
    omegas = np.array([0.0, 0.05, -0.05][:m_models])
    xm, Pm, mu = _tracks(rng, n_trk, m_models)
    trk_t = rng.uniform(0, 5, n_trk)
    det_t = rng.uniform(4, 12, n_det)
    spos = np.array([100.0, -200.0, 25.0])
    srot = np.eye(3)
    src = rng.integers(0, n_trk, n_det)
    p = xm[src, 0, :3] - spos + rng.normal(0, 1500, (n_det, 3))
    r = np.linalg.norm(p, axis=1)
    det_z = np.c_[r, np.arctan2(p[:, 0], p[:, 1]) % (2 * np.pi), np.arcsin(p[:, 2] / r), rng.normal(0, 200, n_det)]
    det_sig = np.tile([50.0, 0.004, 0.006, 5.0], (n_det, 1))
    det_m = rng.choice([3, 4], n_det, p=[0.7, 0.3]).astype(np.int64)
    pslot, pdet = (a.ravel().astype(np.int64) for a in np.meshgrid(np.arange(n_trk), np.arange(n_det), indexing="ij"))
    gamma = np.array([np.inf, 11.3, 11.3, 16.3, 18.5])
    args = (pslot, pdet, trk_t, xm, Pm, mu, det_t, det_z, det_sig, det_m, spos, srot, kinds, qs, omegas, 0.08)
    return args, gamma


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), m_models=st.integers(2, 3))
def test_imm_gate_matches_the_full_prediction(seed, m_models):
    args, gamma = gate_problem(np.random.default_rng(seed), m_models, 6, 8)
    pslot = args[0]
    d2, lnn = np.empty(pslot.size), np.empty(pslot.size)
    kernels.gate_pairs(*args, d2, lnn, gamma)
    ref_d2, ref_lnn = _reference_gate(*args, gamma)
    np.testing.assert_array_equal(d2, ref_d2)
    np.testing.assert_array_equal(lnn, ref_lnn)
    assert np.isfinite(lnn).any() and np.isinf(lnn).any()  # both sides of the gate were exercised
