"""Splitting a kernel's rows across threads (airpicture.threads): spans cover every row once, small batches and
concurrent callers run whole, and the tracker's gate gives the same bits split or not."""

from __future__ import annotations

import itertools
import threading

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from airpicture import threads
from airpicture.tracking import kernels
from tests.test_tracking_gate_position import gate_problem


@given(n=st.integers(0, 100_000), parts=st.integers(1, 16))
def test_spans_cover_every_row_once_in_order(n: int, parts: int) -> None:
    s = threads.spans(n, parts)
    assert len(s) == parts and s[0][0] == 0 and s[-1][1] == n
    assert all(a[1] == b[0] for a, b in itertools.pairwise(s))
    assert max(hi - lo for lo, hi in s) - min(hi - lo for lo, hi in s) <= 1


@pytest.mark.parametrize(("n", "cores", "expected_spans"), [(10, 2, 1), (2 * threads.MIN_ROWS_PER_THREAD - 1, 2, 1),
                                                           (2 * threads.MIN_ROWS_PER_THREAD, 2, 2),
                                                           (5 * threads.MIN_ROWS_PER_THREAD, 2, 5),
                                                           (100 * threads.MIN_ROWS_PER_THREAD, 4,
                                                            4 * threads.SPANS_PER_THREAD),
                                                           (100 * threads.MIN_ROWS_PER_THREAD, 1, 1)])
def test_run_split_calls_spans_covering_the_rows(monkeypatch: pytest.MonkeyPatch, n: int, cores: int,
                                                 expected_spans: int) -> None:
    monkeypatch.setattr(threads, "_threads", cores)
    seen: list[tuple[int, int, str]] = []
    lock = threading.Lock()

    def call(lo: int, hi: int) -> None:
        with lock:
            seen.append((lo, hi, threading.current_thread().name))

    threads.run_split(n, call)
    assert sorted((lo, hi) for lo, hi, _ in seen) == threads.spans(n, expected_spans)
    assert len({name for _, _, name in seen}) <= cores


def test_one_thread_block_and_a_busy_split_run_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(threads, "_threads", 2)
    n = 10 * threads.MIN_ROWS_PER_THREAD
    calls: list[tuple[int, int]] = []
    with threads.one_thread():
        threads.run_split(n, lambda lo, hi: calls.append((lo, hi)))
    assert calls == [(0, n)] and threads.threads() == 2
    calls.clear()
    with threads._lock:  # another thread's split in progress: no nesting, the call runs whole here
        threads.run_split(n, lambda lo, hi: calls.append((lo, hi)))
    assert calls == [(0, n)]


def test_an_exception_in_a_span_reaches_the_caller(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(threads, "_threads", 2)

    def call(lo: int, hi: int) -> None:
        if lo > 0:
            raise ValueError("span failed")

    with pytest.raises(ValueError, match="span failed"):
        threads.run_split(4 * threads.MIN_ROWS_PER_THREAD, call)
    assert not threads._lock.locked()


@settings(max_examples=6, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), m_models=st.integers(1, 3))
def test_gate_split_across_threads_gives_the_same_bits(seed: int, m_models: int) -> None:
    # 40 x 60 = 2,400 pairs: split in two on two cores, in three with three threads
    args, gamma = gate_problem(np.random.default_rng(seed), m_models, 40, 60)
    pslot = args[0]
    out = {}
    for n_threads in (1, 3):
        threads.set_threads(n_threads)
        try:
            d2, lnn = np.empty(pslot.size), np.empty(pslot.size)
            kernels.gate_pairs(*args, d2, lnn, gamma)
        finally:
            threads.set_threads(None)
        out[n_threads] = (d2, lnn)
    np.testing.assert_array_equal(out[1][0], out[3][0])
    np.testing.assert_array_equal(out[1][1], out[3][1])
    assert np.isfinite(out[3][1]).any()
