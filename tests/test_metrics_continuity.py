"""Track-to-truth continuity: ID switches and track breaks on hand-built sequences and against a plain loop."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from airpicture.metrics.continuity import continuity_events

U = -1  # untracked


def _events(seq: list[int], truth: int = 0, epochs: list[int] | None = None) -> tuple[list[bool], list[bool]]:
    epochs = list(range(len(seq))) if epochs is None else epochs
    ev = continuity_events(np.array(epochs), np.full(len(seq), truth), np.array(seq))
    return ev.id_switch.tolist(), ev.break_end.tolist()


def test_steady_track_has_no_events() -> None:
    assert _events([5, 5, 5, 5]) == ([False] * 4, [False] * 4)


def test_gap_then_same_track_is_one_break_no_switch() -> None:
    sw, br = _events([5, 5, U, U, 5])
    assert sw == [False] * 5
    assert br == [False, False, False, False, True]


def test_handover_to_another_track_is_a_switch_without_break() -> None:
    sw, br = _events([5, 5, 6, 6])
    assert sw == [False, False, True, False]
    assert br == [False] * 4


def test_gap_then_other_track_is_both() -> None:
    sw, br = _events([5, U, 6])
    assert sw == [False, False, True]
    assert br == [False, False, True]


def test_switch_is_against_last_tracking_id_even_after_a_gap() -> None:
    sw, br = _events([5, U, 5, 6, 5])
    assert sw == [False, False, False, True, True]
    assert br == [False, False, True, False, False]


def test_late_start_and_loss_at_the_end_are_not_breaks() -> None:
    assert _events([U, U, 7, 7, U, U]) == ([False] * 6, [False] * 6)


def test_epochs_where_the_truth_is_not_scored_do_not_break() -> None:
    # scored at epochs 0, 1, 5, 6 only (out of the sky in between): tracked throughout its scored epochs
    assert _events([4, 4, 4, 4], epochs=[0, 1, 5, 6]) == ([False] * 4, [False] * 4)


def test_two_truths_do_not_interfere() -> None:
    epoch = np.array([0, 0, 1, 1, 2, 2])
    truth = np.array([0, 1, 0, 1, 0, 1])
    track = np.array([3, U, U, 3, 3, 4])
    ev = continuity_events(epoch, truth, track)
    # truth 0: 3, U, 3 -> a break at epoch 2; truth 1: U, 3, 4 -> a switch at epoch 2
    assert ev.break_end.tolist() == [False, False, False, False, True, False]
    assert ev.id_switch.tolist() == [False, False, False, False, False, True]


def _reference(epoch: np.ndarray, truth: np.ndarray, track: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Plain per-truth loop over epochs, straight from the definitions."""
    switch = np.zeros(epoch.size, bool)
    brk = np.zeros(epoch.size, bool)
    for t in np.unique(truth):
        rows = sorted(np.flatnonzero(truth == t), key=lambda r: epoch[r])
        last_track = None
        gap = False
        for r in rows:
            if track[r] < 0:
                if last_track is not None:
                    gap = True
                continue
            if last_track is not None and track[r] != last_track:
                switch[r] = True
            if gap:
                brk[r] = True
            gap = False
            last_track = track[r]
    return switch, brk


@st.composite
def histories(draw):
    n_truth = draw(st.integers(1, 5))
    n_epoch = draw(st.integers(1, 12))
    rows = []
    for t in range(n_truth):
        for e in range(n_epoch):
            if draw(st.booleans()) or draw(st.booleans()):  # some epochs not scored
                rows.append((e, t, draw(st.sampled_from([U, U, 10, 11, 12]))))
    perm = draw(st.permutations(range(len(rows))))
    rows = [rows[i] for i in perm]
    arr = np.array(rows, dtype=np.int64).reshape(-1, 3)
    return arr[:, 0], arr[:, 1], arr[:, 2]


@settings(max_examples=300, deadline=None)
@given(histories())
def test_matches_plain_loop_in_any_row_order(h) -> None:
    epoch, truth, track = h
    ev = continuity_events(epoch, truth, track)
    sw, br = _reference(epoch, truth, track)
    assert np.array_equal(ev.id_switch, sw)
    assert np.array_equal(ev.break_end, br)
