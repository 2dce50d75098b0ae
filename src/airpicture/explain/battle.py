"""What a run's decision log says about the battle, in arrays: per threat (first detection, first track,
engagements, outcome, first cause), which limit bound when (the bottlenecks), outcomes by threat kind. Read by
``airpicture explain``, the report's first screen and ``airpicture compare``.

A limit *binds* while some threat waits for it: a fire channel, room under the in-flight limit, a ready round,
or a track slot (``wait`` rows of ``decisions.parquet`` and the episodes they span). A limit merely *at* its
level (every channel busy, nobody waiting) is not a bottleneck. Times are seconds from the scenario start.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import numpy as np
from numpy.typing import NDArray

from airpicture.decisions.schema import CAUSE_LABELS
from airpicture.explain.names import target_names
from airpicture.report.load import RunData, load_run
from airpicture.report.style import KIND_NAMES
from airpicture.vocab import Cause, Decision, EndReason, Stage, WaitReason

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]

#: Limits, in the order they are drawn, with their names in sentences.
RESOURCES: dict[str, str] = {WaitReason.TRACK_SLOT: "track slots", WaitReason.CHANNELS: "fire channels",
                             WaitReason.IN_FLIGHT: "in-flight limit", WaitReason.READY_ROUNDS: "ready rounds"}
#: Waits closer than this (s) are one binding span in sentences.
SPAN_GAP_S = 60.0

#: Cause codes grouped as the verdict counts them, in chain order.
CAUSE_GROUPS: dict[str, tuple[str, ...]] = {
    "never tracked (hidden from the radars)": (Cause.BELOW_HORIZON, Cause.OUT_OF_RANGE, Cause.OUT_OF_ELEVATION,
                                               Cause.MASKED_BY_TERRAIN),
    "never tracked (not detected or not confirmed)": (Cause.NOT_DETECTED, Cause.NOT_CONFIRMED),
    "track slots full": (Cause.TRACK_SLOTS_FULL,),
    "fire channels busy": (Cause.CHANNELS,),
    "in-flight limit": (Cause.IN_FLIGHT,),
    "no ready rounds": (Cause.READY_ROUNDS,),
    "not engageable": (Cause.ENVELOPE, Cause.TOO_LATE, Cause.TRACKED_LATE, Cause.NOT_CLOSING, Cause.TRACK_LOST),
    "missed": (Cause.PK_DRAW, Cause.CORRECTION_RADIUS, Cause.REACHED_ASSET, Cause.TARGET_GONE),
}


@dataclass
class Threats:
    """Per target (N,): facts of its life (NaN / -1 / "" where they did not happen)."""

    name: list[str]
    kind: NDArray[np.object_]
    hostile: NDArray[np.bool_]
    threat: NDArray[np.bool_]  # hostile and started by the end
    asset: NDArray[np.object_]
    would_hit: NDArray[np.bool_]  # its unopposed flight reaches its asset's radius within the run
    start_s: F64
    first_visible_s: F64
    first_detection_s: F64
    first_track_s: F64
    tracks: I64  # confirmed tracks that followed it
    engagements: I64
    interceptors: I64
    first_engage_s: F64
    waited_s: F64  # total time waiting (any resource)
    waited_for: list[str]  # resources waited for, in order of first wait
    outcome: NDArray[np.object_]  # killed, leaked, survived, or "" (civil, or no outcome in the log)
    outcome_s: F64
    cause: NDArray[np.object_]  # first cause code of leaked / survived threats
    cause_s: F64
    cause_text: NDArray[np.object_]


@dataclass
class Bottleneck:
    """One limit: its merged binding spans, first binding time, wait episodes and distinct threats."""

    resource: str
    label: str
    spans: list[tuple[float, float]]
    first_s: float
    episodes: int
    threats: int


@dataclass
class Battle:
    run: RunData
    d: dict[str, NDArray[Any]]
    threats: Threats
    bottlenecks: list[Bottleneck] = field(default_factory=list)

    @property
    def has_engagement(self) -> bool:
        return "engagement" in self.run.summary or bool(np.any(self.d["stage"] == Stage.OUTCOME))


def load_battle(run_dir: str | Path, run: RunData | None = None) -> Battle:
    """The battle of the results folder ``run_dir`` (or of the already loaded ``run``)."""
    if run is None:
        run = load_run(run_dir, only=("targets", "decisions", "timeline"))
    if not run.has("decisions"):
        from airpicture.errors import InputError

        raise InputError(str(run.run_dir), "no decisions.parquet in this results folder (it was written before the "
                                           "decision log existed, or the scenario has no radars); run the scenario "
                                           "again to explain it")
    d = run.get("decisions")
    threats = _threats(run, d)
    return Battle(run, d, threats, _bottlenecks(run, d))


def _threats(run: RunData, d: dict[str, NDArray[Any]]) -> Threats:
    tg = run.get("targets")
    n = len(tg["target_id"])
    end = run.scenario.duration_s
    ev, tgt, t = d["event"], d["target_id"], d["time_s"]
    ok = (tgt >= 0) & (tgt < n)

    def first(mask: NDArray[np.bool_]) -> F64:
        out = np.full(n, np.nan)
        m = mask & ok
        if m.any():
            tmp = np.full(n, np.inf)
            np.minimum.at(tmp, tgt[m], t[m])
            out = np.where(np.isfinite(tmp), tmp, np.nan)
        return out

    def count(mask: NDArray[np.bool_], weights: NDArray | None = None) -> I64:
        m = mask & ok
        w = None if weights is None else weights[m]
        return np.bincount(tgt[m], weights=w, minlength=n).astype(np.int64)

    hostile = tg["hostile"]
    asset_name = tg.get("asset", np.full(n, "", dtype=object))
    outcome = np.full(n, "", dtype=object)
    outcome_s = np.full(n, np.nan)
    cause = np.full(n, "", dtype=object)
    cause_s = np.full(n, np.nan)
    cause_text = np.full(n, "", dtype=object)
    o = np.flatnonzero((d["stage"] == Stage.OUTCOME) & ok)
    would_hit = hostile & (tg.get("end_reason", np.full(n, "", dtype=object)) == EndReason.IMPACT)
    if o.size and "impact_s" in d:
        # the log says when each threat's unopposed flight reaches its asset (within the run)
        would_hit = np.zeros(n, bool)
        would_hit[tgt[o]] = np.isfinite(d["impact_s"][o])
    outcome[tgt[o]] = ev[o]
    outcome_s[tgt[o]] = t[o]
    cause[tgt[o]] = d["reason"][o]
    cause_s[tgt[o]] = d["cause_s"][o]
    cause_text[tgt[o]] = d["detail"][o]
    waits = np.flatnonzero((ev == Decision.WAIT) & ok)
    until = np.where(np.isfinite(d["until_s"][waits]), d["until_s"][waits], end)
    waited = cast(F64, np.bincount(tgt[waits], weights=np.maximum(until - t[waits], 0.0), minlength=n))
    waited_for: list[list[str]] = [[] for _ in range(n)]
    for j in waits[np.argsort(t[waits], kind="stable")].tolist():
        r = str(d["reason"][j])
        if r not in waited_for[tgt[j]]:
            waited_for[tgt[j]].append(r)
    conf = (ev == Decision.CONFIRMED)
    launches = ev == Decision.LAUNCH
    return Threats(
        name=target_names(tg.get("callsign"), n), kind=tg["kind"], hostile=hostile,
        threat=hostile & (tg["start_s"] <= end), asset=asset_name,
        would_hit=would_hit,
        start_s=tg["start_s"], first_visible_s=first(ev == Decision.VISIBLE),
        first_detection_s=first(ev == Decision.DETECTED),
        first_track_s=first(conf), tracks=_distinct_tracks(d, conf & ok, n), engagements=count(ev == Decision.ENGAGE),
        interceptors=count(launches), first_engage_s=first(ev == Decision.ENGAGE), waited_s=waited,
        waited_for=[", ".join(RESOURCES.get(r, r) for r in w) for w in waited_for], outcome=outcome,
        outcome_s=outcome_s, cause=cause, cause_s=cause_s, cause_text=cause_text)


def _distinct_tracks(d: dict[str, NDArray[Any]], mask: NDArray[np.bool_], n: int) -> I64:
    pairs = np.unique(np.stack([d["target_id"][mask], d["track_id"][mask]], axis=1), axis=0)
    return np.bincount(pairs[:, 0], minlength=n).astype(np.int64) if pairs.size else np.zeros(n, np.int64)


def wait_intervals(d: dict[str, NDArray[Any]], resource: str, end_s: float) -> tuple[F64, F64, I64]:
    """(start, end, target) of every waiting episode for ``resource``."""
    w = np.flatnonzero((d["event"] == Decision.WAIT) & (d["reason"] == resource))
    start = d["time_s"][w]
    stop = np.where(np.isfinite(d["until_s"][w]), d["until_s"][w], end_s)
    return start, np.maximum(stop, start), d["target_id"][w]


def merge_spans(start: F64, stop: F64, gap_s: float) -> list[tuple[float, float]]:
    """Union of intervals, joining those separated by at most ``gap_s``."""
    if start.size == 0:
        return []
    order = np.argsort(start, kind="stable")
    spans: list[list[float]] = []
    for a, b in zip(start[order].tolist(), stop[order].tolist(), strict=True):
        if spans and a <= spans[-1][1] + gap_s:
            spans[-1][1] = max(spans[-1][1], b)
        else:
            spans.append([a, b])
    return [(a, b) for a, b in spans]


def _bottlenecks(run: RunData, d: dict[str, NDArray[Any]]) -> list[Bottleneck]:
    end = run.scenario.duration_s
    out = []
    for res, label in RESOURCES.items():
        a, b, tgt = wait_intervals(d, res, end)
        if a.size == 0:
            continue
        out.append(Bottleneck(res, label, merge_spans(a, b, SPAN_GAP_S), float(a.min()), int(a.size),
                              int(np.unique(tgt[tgt >= 0]).size)))
    out.sort(key=lambda bn: bn.first_s)
    return out


def waiting_counts(battle: Battle, times: F64) -> dict[str, F64]:
    """Per limit: threats waiting for it at each of ``times`` (the bottleneck strip)."""
    end = battle.run.scenario.duration_s
    out = {}
    for res in RESOURCES:
        a, b, _ = wait_intervals(battle.d, res, end)
        starts = np.searchsorted(np.sort(a), times, side="right")
        stops = np.searchsorted(np.sort(b), times, side="right")
        out[res] = (starts - stops).astype(float)
    return out


def at_limit(run: RunData, times: F64) -> dict[str, NDArray[np.bool_]]:
    """Per limit: was it at its level at each of ``times`` (any battery; from timeline.parquet), whether or not
    anyone waited."""
    out: dict[str, NDArray[np.bool_]] = {r: np.zeros(times.size, bool) for r in RESOURCES}
    if not run.has("timeline"):
        return out
    tl = run.get("timeline")
    full = {WaitReason.TRACK_SLOT: (tl["tracks_held"] >= tl["track_capacity"]) & (tl["track_capacity"] >= 0),
            WaitReason.CHANNELS: tl["channels_busy"] >= tl["fire_channels"],
            WaitReason.IN_FLIGHT: tl["in_flight"] >= tl["max_in_flight"]}
    if "ready_rounds" in tl:
        full[WaitReason.READY_ROUNDS] = tl["ready_rounds"] <= 0
    for res, m in full.items():
        tt = np.unique(tl["time_s"][m])
        if tt.size == 0:
            continue
        pos = np.searchsorted(tt, times)
        hit = np.zeros(times.size, bool)
        ok = pos < tt.size
        hit[ok] = np.abs(tt[pos[ok]] - times[ok]) < 1e-6
        out[res] = hit
    return out


# ------------------------------------------------------------------------------------------------ sentences
def span_text(spans: list[tuple[float, float]], end_s: float, step_s: float) -> str:
    """'178–610 s', 'from 560 s', or several spans ('44–90 s, 120–170 s'; at most three shown)."""
    parts = []
    for a, b in spans[:3]:
        if b >= end_s - step_s - 1e-9:
            parts.append(f"from {a:.0f} s")
        elif b - a < 1.0:
            parts.append(f"at {a:.0f} s")
        else:
            parts.append(f"{a:.0f}–{b:.0f} s")
    if len(spans) > 3:
        parts.append(f"and {len(spans) - 3} more spans")
    return ", ".join(parts)


def kind_label(kind: str, plural: bool = True) -> str:
    name = KIND_NAMES.get(kind, kind.replace("_", " ")).lower()
    return name + ("s" if plural and not name.endswith(("s", "aircraft", "aviation")) else "")


def outcomes_by_kind(battle: Battle) -> list[dict[str, Any]]:
    """Per threat kind: threats, would have hit, killed, leaked, survived, engaged, never tracked."""
    th = battle.threats
    rows = []
    for kind in dict.fromkeys(th.kind[th.threat].tolist()):
        m = th.threat & (th.kind == kind)
        rows.append({"kind": str(kind), "label": kind_label(str(kind)), "threats": int(m.sum()),
                     "would_hit": int((m & th.would_hit).sum()),
                     "killed": int((m & (th.outcome == Decision.KILLED)).sum()),
                     "leaked": int((m & (th.outcome == Decision.LEAKED)).sum()),
                     "survived": int((m & (th.outcome == Decision.SURVIVED)).sum()),
                     "engaged": int((m & (th.engagements > 0)).sum()),
                     "never_tracked": int((m & np.isnan(th.first_track_s)).sum())})
    return rows


def cause_counts(battle: Battle, which: str = Decision.LEAKED) -> dict[str, dict[str, int]]:
    """Threats with outcome ``which`` by cause group, then by cause code (groups in chain order)."""
    th = battle.threats
    m = th.threat & (th.outcome == which)
    out: dict[str, dict[str, int]] = {}
    for group, codes in CAUSE_GROUPS.items():
        counts = {c: int(np.count_nonzero(m & (th.cause == c))) for c in codes}
        counts = {c: k for c, k in counts.items() if k}
        if counts:
            out[group] = counts
    return out


def quiet_gap(battle: Battle) -> tuple[float, float] | None:
    """The longest time without any launch while some threat waited for an interceptor or a channel (start, end),
    if it lasted at least a minute."""
    d = battle.d
    end = battle.run.scenario.duration_s
    launches = np.sort(d["time_s"][d["event"] == Decision.LAUNCH])
    waits = [wait_intervals(d, r, end) for r in (WaitReason.CHANNELS, WaitReason.IN_FLIGHT,
                                                   WaitReason.READY_ROUNDS)]
    a = np.concatenate([w[0] for w in waits])
    b = np.concatenate([w[1] for w in waits])
    if a.size == 0:
        return None
    edges = np.concatenate([[0.0], launches, [end]])
    best = None
    for lo, hi in zip(edges[:-1].tolist(), edges[1:].tolist(), strict=True):
        # the part of (lo, hi) during which someone waited
        inside = (a < hi) & (b > lo)
        if not inside.any():
            continue
        w0, w1 = max(lo, float(a[inside].min())), min(hi, float(b[inside].max()))
        if w1 - w0 >= 60.0 and (best is None or w1 - w0 > best[1] - best[0]):
            best = (w0, w1)
    return best


def verdict(battle: Battle) -> list[str]:
    """The battle's verdict as a few sentences (see the report's first screen and ``airpicture explain RUN``)."""
    run = battle.run
    sc = run.scenario
    end, step = sc.duration_s, sc.time_step_s
    th = battle.threats
    out: list[str] = []
    bn = battle.bottlenecks
    if bn:
        first = min(b.first_s for b in bn)
        parts = [f"{b.label} ({span_text(b.spans, end, step)})" for b in bn]
        out.append(f"Saturated at {first:.0f} s: " + ", then ".join(parts) + ".")
    elif battle.has_engagement:
        out.append("Never saturated: no threat had to wait for a fire channel, an interceptor or a track slot.")
    if battle.has_engagement:
        n_threats = int(th.threat.sum())
        would = int((th.threat & th.would_hit).sum())
        leaked = int((th.threat & (th.outcome == Decision.LEAKED)).sum())
        killed = int((th.threat & (th.outcome == Decision.KILLED)).sum())
        survived = int((th.threat & (th.outcome == Decision.SURVIVED)).sum())
        kinds = [k for k in outcomes_by_kind(battle) if k["would_hit"]]
        kinds.sort(key=lambda k: (-k["leaked"] / k["would_hit"], -k["would_hit"], k["label"]))
        worst = [f"{k['label']} {k['leaked']} of {k['would_hit']}" for k in kinds[:2] if k["leaked"]]
        eng = run.summary.get("engagement", {})
        civil = eng.get("civil_engaged", 0) if isinstance(eng, dict) else 0
        text = f"{leaked} of {would} threats that would have hit got through"
        if worst:
            text += "; " + ", ".join(worst)
        text += f"; civil aircraft engaged: {civil}."
        out.append(text)
        def were(n: int) -> str:
            return f"{n} {'was' if n == 1 else 'were'}"

        out.append(f"Of {n_threats} threat{'s' if n_threats != 1 else ''}, {were(killed)} killed, {leaked} leaked "
                   f"and {were(survived)} still flying at the end.")
        causes = cause_counts(battle, Decision.LEAKED)
        if causes:
            groups = sorted(causes.items(), key=lambda kv: -sum(kv[1].values()))
            parts = []
            for group, codes in groups:
                n = sum(codes.values())
                sub = ""
                if len(codes) > 1 or group.startswith("never tracked") or group == "not engageable" or \
                        group == "missed":
                    sub = " (" + ", ".join(f"{CAUSE_LABELS[c].split(': ')[-1]} {k}" for c, k in codes.items()) + ")"
                parts.append(f"{group} {n}{sub}")
            out.append("First causes of the leaks: " + "; ".join(parts) + ".")
        gap = quiet_gap(battle)
        if gap is not None:
            out.append(f"No interceptor was launched from {gap[0]:.0f} s to {gap[1]:.0f} s "
                       f"({gap[1] - gap[0]:.0f} s) while threats waited.")
    return out
