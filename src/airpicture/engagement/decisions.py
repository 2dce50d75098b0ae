"""Fire control's decisions, row by row, for ``decisions.parquet`` (schema: :mod:`airpicture.decisions.schema`).

:class:`FireDecisions` is fed by a few calls from :class:`~airpicture.engagement.fire_control.FireControl` as it
decides: a threat first ranked, each engagement and launch, each reload, each waiting episode with the resource
that bound it (fire channels, the in-flight limit, ready rounds, or a track slot the tracker refused) and when it
ended, each interceptor's assessment against the truth (kill, or why not: the Pk draw, the correction radius...),
each abandon. Waiting episodes are kept per battery and track slot in arrays, so a step with many waiting threats
costs a few array operations; a new row starts only when a threat starts waiting or its binding resource changes.

Units: seconds from the scenario start, metres.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from airpicture.decisions.schema import Rows
from airpicture.vocab import AbandonReason, Decision, Envelope, Identity, InterceptResult, Stage, WaitCode, WaitReason

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]

#: Wait reason codes (index into ``WAIT_NAMES``); 0 = not waiting.
CHANNELS, IN_FLIGHT, READY_ROUNDS = int(WaitCode.CHANNELS), int(WaitCode.IN_FLIGHT), int(WaitCode.READY_ROUNDS)
WAIT_NAMES: tuple[WaitReason | str, ...] = ("", WaitReason.CHANNELS, WaitReason.IN_FLIGHT, WaitReason.READY_ROUNDS)
_WAIT_TEXT = ("", "all {limit} fire channels busy", "{in_use} of {limit} interceptors in flight or committed",
              "no ready round on any launcher")


def _wait_text(code: int, in_use: int, limit: int) -> str:
    if code == CHANNELS and limit == 0:
        return "the battery has no fire channel"
    if code == IN_FLIGHT and limit == 0:
        return "the battery may have no interceptor in flight"
    return _WAIT_TEXT[code].format(in_use=in_use, limit=limit)


def _same(a: NDArray[Any], b: NDArray[Any]) -> bool:
    """Equal shapes and values."""
    return a.shape == b.shape and bool(np.array_equal(a, b))


class FireDecisions:
    """The rows fire control adds to the decision log, and the open waiting episodes."""

    def __init__(self, n_batteries: int, n_targets: int) -> None:
        self.rows = Rows()
        self._b = max(int(n_batteries), 1)
        self._open_row = np.full((self._b, 64), -1, np.int64)  # per battery and track slot: open wait row
        self._open_reason = np.zeros((self._b, 64), np.int8)
        self._n_open = np.zeros(self._b, np.int64)  # open wait rows per battery (a step with none costs nothing)
        self._slot_row = np.full(max(int(n_targets), 1), -1, np.int64)  # per target: open track-slot wait row
        #: per battery, the arguments of its last :meth:`waits` call (slots, reasons, paused); None after a change
        #: to its episodes elsewhere
        self._last_waits: list[tuple[I64, NDArray[np.int8], I64] | None] = [None] * self._b

    # ----------------------------------------------------------------------------------------------- helpers
    def _ensure(self, slots: I64) -> None:
        need = int(slots.max()) + 1 if slots.size else 0
        cap = self._open_row.shape[1]
        if need <= cap:
            return
        new = max(need, 2 * cap)
        self._open_row = np.pad(self._open_row, ((0, 0), (0, new - cap)), constant_values=-1)
        self._open_reason = np.pad(self._open_reason, ((0, 0), (0, new - cap)))

    def _close(self, rows: I64, t: float) -> None:
        for r in rows.tolist():
            if r >= 0:
                self.rows.set(r, "until_s", float(t))

    def has_open(self, b: int) -> bool:
        """Does battery ``b`` have a waiting episode open?"""
        return bool(self._n_open[b] > 0)

    # ----------------------------------------------------------------------------------------------- decisions
    def ranked(self, t: float, battery: str, track_id: I64, target_id: I64, rank: I64, time_to_go_s: F64,
               intercept_time_s: F64, total: int) -> None:
        """Threats first engageable for ``battery`` at ``t``: their rank among the ``total`` engageable ones."""
        n = int(track_id.shape[0])
        if n == 0:
            return
        self.rows.extend(n, time_s=float(t), stage=Stage.FIRE_CONTROL, event=Decision.RANKED, battery=battery,
                         track_id=track_id, target_id=target_id, rank=rank, time_to_go_s=time_to_go_s,
                         intercept_time_s=intercept_time_s,
                         detail=[f"ranked {r} of {total} engageable threats (time to go {g:.0f} s)"
                                 for r, g in zip(rank.tolist(), time_to_go_s.tolist(), strict=True)])

    def out_of_envelope(self, t: float, battery: str, track_id: I64, target_id: I64, too_late: bool,
                        time_to_go_s: F64, intercept_time_s: F64) -> None:
        n = int(track_id.shape[0])
        if n == 0:
            return
        why = ("no intercept before the threat reaches its asset" if too_late
               else "intercept point outside the envelope")
        self.rows.extend(n, time_s=float(t), stage=Stage.FIRE_CONTROL, event=Decision.OUT_OF_ENVELOPE,
                         reason=Envelope.TOO_LATE if too_late else Envelope.ENVELOPE, battery=battery,
                         track_id=track_id, target_id=target_id, time_to_go_s=time_to_go_s,
                         intercept_time_s=intercept_time_s, detail=why)

    def engage(self, t: float, battery: str, track_id: int, target_id: int, rank: int, total: int,
               time_to_go_s: float, interceptors: int, intercept_time_s: float, identity: Identity,
               asset: str) -> None:
        self.rows.add(time_s=float(t), stage=Stage.FIRE_CONTROL, event=Decision.ENGAGE, battery=battery,
                      track_id=track_id, target_id=target_id, rank=rank, time_to_go_s=time_to_go_s,
                      interceptors=interceptors, intercept_time_s=intercept_time_s,
                      detail=f"{identity}; ranked {rank} of {total}; {asset} in {time_to_go_s:.0f} s; "
                             f"{interceptors} interceptor{'s' if interceptors != 1 else ''}")

    def firm(self, t: float, battery: str, track_id: int, target_id: int, since_s: float, sigma_mps: float,
             limit_mps: float) -> None:
        """A track engageable since ``since_s`` but held back for a rough velocity is firm at ``t``."""
        self.rows.add(time_s=float(t), stage=Stage.FIRE_CONTROL, event=Decision.FIRM, battery=battery,
                      track_id=track_id, target_id=target_id, until_s=float(t),
                      detail=f"velocity known to {sigma_mps:.0f} m/s (firm at {limit_mps:g} m/s); engageable "
                             f"since {since_s:.0f} s, held back for it")

    def launch(self, t: float, battery: str, track_id: int, target_id: int, launcher: int,
               intercept_time_s: float) -> None:
        self.rows.add(time_s=float(t), stage=Stage.FIRE_CONTROL, event=Decision.LAUNCH, battery=battery,
                      track_id=track_id, target_id=target_id, interceptors=1, launcher=launcher,
                      intercept_time_s=intercept_time_s,
                      detail=f"launcher {launcher}")

    def reload(self, t: float, battery: str, launcher: int, rounds: int, done_s: float) -> None:
        self.rows.add(time_s=float(t), stage=Stage.FIRE_CONTROL, event=Decision.RELOAD, battery=battery,
                      interceptors=rounds, launcher=launcher, until_s=done_s,
                      detail=f"launcher {launcher} reloading {rounds} round{'s' if rounds != 1 else ''} until "
                             f"{done_s:.0f} s")

    def waits(self, t: float, b: int, battery: str, slots: I64, reason: NDArray[np.int8], track_id: I64,
              target_id: I64, rank: I64, total: int, time_to_go_s: F64, in_use: I64, limit: I64,
              paused: I64) -> None:
        """The threats of battery ``b`` waiting after this step's decisions (``slots`` with ``reason`` codes and
        the load and limit of that resource). Episodes of other slots end at ``t``, except ``paused`` ones
        (momentarily unengageable, still closing: the episode continues, as fire control's does)."""
        if slots.size == 0 and self._n_open[b] == 0:
            return
        last = self._last_waits[b]
        if last is not None and _same(last[0], slots) and _same(last[1], reason) and _same(last[2], paused):
            return  # the same waits as the battery's last call, nothing closed since: every episode goes on
        self._last_waits[b] = (slots.copy(), reason.copy(), paused.copy())
        self._ensure(slots)
        self._ensure(paused)
        open_row = self._open_row[b]
        open_reason = self._open_reason[b]
        keep = np.zeros(open_row.shape[0], bool)
        keep[slots] = True
        keep[paused] = True
        ended = np.flatnonzero((open_row >= 0) & ~keep)
        if ended.size:
            self._close(open_row[ended], t)
            open_row[ended] = -1
            open_reason[ended] = 0
            self._n_open[b] -= ended.size
        if slots.size == 0:
            return
        changed = np.flatnonzero(open_reason[slots] != reason)
        if changed.size == 0:
            return
        s = slots[changed]
        self._n_open[b] += int(np.count_nonzero(open_row[s] < 0))
        self._close(open_row[s], t)
        first = len(self.rows)
        codes = reason[changed].tolist()
        use, lim = in_use[changed].tolist(), limit[changed].tolist()
        self.rows.extend(int(changed.size), time_s=float(t), stage=Stage.FIRE_CONTROL, event=Decision.WAIT,
                         reason=[WAIT_NAMES[c] for c in codes], battery=battery, track_id=track_id[changed],
                         target_id=target_id[changed], rank=rank[changed], time_to_go_s=time_to_go_s[changed],
                         in_use=in_use[changed], limit=limit[changed],
                         detail=[_wait_text(c, u, m) + f"; ranked {r} of {total}"
                                 for c, u, m, r in zip(codes, use, lim, rank[changed].tolist(), strict=True)])
        open_row[s] = first + np.arange(changed.size)
        open_reason[s] = reason[changed]

    def abandon(self, t: float, b: int, battery: str, slots: I64, track_id: I64, target_id: I64,
                max_wait_s: float) -> None:
        """Threats given up: their waiting episodes end at ``t``."""
        if slots.size == 0:
            return
        self._ensure(slots)
        self._last_waits[b] = None
        self._n_open[b] -= int(np.count_nonzero(self._open_row[b, slots] >= 0))
        self._close(self._open_row[b, slots], t)
        self._open_row[b, slots] = -1
        self._open_reason[b, slots] = 0
        self.rows.extend(int(slots.size), time_s=float(t), stage=Stage.FIRE_CONTROL, event=Decision.ABANDON,
                         reason=AbandonReason.MAX_WAIT,
                         battery=battery, track_id=track_id, target_id=target_id,
                         detail=f"waited {max_wait_s:g} s (max_wait_s)")

    def slot_wait(self, t: float, battery: str, target_id: int, capacity: int) -> None:
        """A threat no track follows was refused a track slot: an episode until a track follows it."""
        if self._slot_row[target_id] >= 0:
            return
        self._slot_row[target_id] = self.rows.add(
            time_s=float(t), stage=Stage.FIRE_CONTROL, event=Decision.WAIT, reason=WaitReason.TRACK_SLOT,
            battery=battery, target_id=target_id, in_use=capacity, limit=capacity,
            detail=f"the tracker refused it a track slot: all {capacity} held")

    def slot_wait_end(self, t: float, followed_targets: I64) -> None:
        """Targets a track of the picture now follows: their track-slot episodes end."""
        if followed_targets.size == 0:
            return
        rows = self._slot_row[followed_targets]
        open_ = rows >= 0
        if open_.any():
            self._close(rows[open_], t)
            self._slot_row[followed_targets[open_]] = -1

    def intercepts(self, battery: str, track_id: int, target_id: int, intercept_s: F64, reasons: list[InterceptResult],
                   miss_distance_m: F64, correction_radius_m: float, pk: float, draw: F64) -> None:
        """One row per interceptor at its intercept time: the truth's verdict on it."""
        R = InterceptResult
        text = {R.KILL: "hit: within the correction radius and draw < Pk",
                R.PK_DRAW: "inside the correction radius, but the draw failed the Pk",
                R.CORRECTION_RADIUS: "true target outside the correction radius of the aim point",
                R.REACHED_ASSET: "the threat had reached its asset before the intercept",
                R.TARGET_GONE: "the target was no longer in the sky",
                R.DESTROYED: "the target had already been destroyed",
                R.AFTER_END: "intercept after the end of the scenario"}
        for j, why in enumerate(reasons):
            d = float(miss_distance_m[j])
            extra = f" ({d:.0f} m from the aim point, radius {correction_radius_m:g} m)" if np.isfinite(d) else ""
            self.rows.add(time_s=float(intercept_s[j]), stage=Stage.FIRE_CONTROL, event=Decision.INTERCEPT, reason=why,
                          battery=battery, track_id=track_id, target_id=target_id, interceptors=1,
                          intercept_time_s=float(intercept_s[j]), miss_distance_m=d,
                          correction_radius_m=correction_radius_m, pk=pk, draw=float(draw[j]),
                          detail=f"interceptor {j + 1}: {text.get(why, why)}" + (
                              extra if why in (R.CORRECTION_RADIUS, R.PK_DRAW, R.KILL) else "")
                          + (f"; draw {float(draw[j]):.2f} vs Pk {pk:g}" if why in (R.PK_DRAW, R.KILL) else ""))

    def assessed(self, t: float, battery: str, track_id: int, target_id: int, killed: bool, interceptors: int,
                 detail: str) -> None:
        self.rows.add(time_s=float(t), stage=Stage.FIRE_CONTROL, event=Decision.ASSESSED,
                      reason=InterceptResult.KILL if killed else InterceptResult.MISS,
                      battery=battery, track_id=track_id, target_id=target_id, interceptors=interceptors,
                      detail=detail)

    def finish(self, t_end: float, leak_time_s: F64) -> None:
        """Close every open episode at ``t_end``; no episode lasts past its threat's leak."""
        open_rows = self._open_row[self._open_row >= 0]
        self._close(open_rows, t_end)
        self._close(self._slot_row[self._slot_row >= 0], t_end)
        self._open_row[:] = -1
        self._open_reason[:] = 0
        self._last_waits = [None] * self._b
        self._n_open[:] = 0
        self._slot_row[:] = -1
        c = self.rows.cols
        for i, (ev, tgt) in enumerate(zip(c["event"], c["target_id"], strict=True)):
            if ev == Decision.WAIT and 0 <= tgt < leak_time_s.shape[0]:
                lt = float(leak_time_s[tgt])
                if c["until_s"][i] != c["until_s"][i] or c["until_s"][i] > lt:  # NaN (never closed) or past
                    c["until_s"][i] = max(min(lt, float(t_end)), c["time_s"][i])
