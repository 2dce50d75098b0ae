"""The life of one threat (or one track) in plain sentences with times, from the decision log: when it came into
view and was first detected, its tracks (born, confirmed, coasting, lost, refused a slot, the ID changes), fire
control's view (ranked, each wait and the resource that bound it, until when), shots and their outcome, and the
end -- with, for a leaker, its first cause.

Tentative tracks started from the threat's detections and deleted before confirmation are summarised in one line
(there may be dozens: a target seen once in a while starts a candidate each time).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from airpicture.decisions.schema import CAUSE_LABELS
from airpicture.explain.battle import Battle, kind_label
from airpicture.vocab import CoastEnd, Decision, WaitReason

Line = tuple[float, str]

def _radar(battle: Battle, sensor_id: int) -> str:
    for r in battle.run.scenario.sensors:
        if r.id == sensor_id:
            return f"radar {r.id} '{r.name}'"
    return f"radar {sensor_id}"


def _until(battle: Battle, d: dict[str, NDArray[Any]], j: int, target: int) -> str:
    """How a waiting episode (row ``j``) ended: engaged, reached its asset, the run ended, or just stopped."""
    u = float(d["until_s"][j])
    if not np.isfinite(u):
        return ""
    t = d["time_s"]
    same = (d["target_id"] == target) & (np.abs(t - u) < 1e-6)
    if np.any(same & (d["event"] == Decision.ENGAGE)):
        return f" -- until engaged at {u:.0f} s"
    if np.any(same & (d["event"] == Decision.LEAKED)):
        return f" -- until it reached its asset at {u:.0f} s"
    if np.any(same & (d["event"] == Decision.ABANDON)):
        return f" -- until given up at {u:.0f} s"
    if u >= battle.run.scenario.duration_s - 1e-6:
        return " -- until the end of the run"
    if str(d["reason"][j]) == WaitReason.TRACK_SLOT:
        return f" -- until a track followed it at {u:.0f} s"
    return f" -- until {u:.0f} s"


def header(battle: Battle, target: int) -> list[str]:
    """Who the target is, what became of it and, if not killed, the first cause."""
    th = battle.threats
    kind = kind_label(str(th.kind[target]), plural=False)
    role = f"threat to {th.asset[target]}" if th.hostile[target] and str(th.asset[target]) else (
        "threat" if th.hostile[target] else "civil")
    lines = [f"{th.name[target]} (target {target}, {kind}, {role})"]
    out = str(th.outcome[target])
    t = float(th.outcome_s[target])
    if out == Decision.KILLED:
        lines.append(f"Outcome: destroyed at {t:.1f} s.")
    elif out in (Decision.LEAKED, Decision.SURVIVED):
        what = (f"reached its asset at {t:.1f} s" if out == Decision.LEAKED
                else "still flying at the end of the run")
        code = str(th.cause[target])
        lines.append(f"Outcome: {what}. First cause: {CAUSE_LABELS.get(code, code)}.")
        lines.append(f"Why: {str(th.cause_text[target]).split(': ', 1)[-1]}.")
    elif not th.hostile[target]:
        engaged = int(th.engagements[target])
        lines.append(f"Civil traffic; engaged {engaged} time{'s' if engaged != 1 else ''}.")
    return lines


def threat_story(battle: Battle, target: int) -> list[Line]:
    """(time, sentence) lines of the target's life, in time order."""
    d = battle.d
    th = battle.threats
    rows = np.flatnonzero(d["target_id"] == target)
    rows = rows[np.argsort(d["time_s"][rows], kind="stable")]
    lines: list[Line] = [(float(th.start_s[target]), "enters the sky")]
    ev, t = d["event"], d["time_s"]
    confirmed = set(d["track_id"][rows[ev[rows] == Decision.CONFIRMED]].tolist())
    tentative = [j for j in rows.tolist() if ev[j] in (Decision.BORN, Decision.DELETED)
                 and int(d["track_id"][j]) not in confirmed]
    if tentative:
        born = [j for j in tentative if ev[j] == Decision.BORN]
        if born:
            t0, t1 = float(t[born[0]]), float(t[born[-1]])
            span = f"at {t0:.0f} s" if t1 - t0 < 1 else f"between {t0:.0f} and {t1:.0f} s"
            refused = {int(d["track_id"][j]) for j in rows.tolist() if ev[j] == Decision.REFUSED}
            n_ref = sum(1 for j in born if int(d["track_id"][j]) in refused)
            fates = [f"{n_ref} refused a slot at capacity" if n_ref else "",
                     f"{len(born) - n_ref} deleted unconfirmed" if len(born) - n_ref else ""]
            lines.append((t0, f"{len(born)} tentative track{'s' if len(born) != 1 else ''} started from its "
                              f"detections {span}: " + ", ".join(f for f in fates if f)))
    last_confirmed: int | None = None
    for j in rows.tolist():
        e, tj, trk = str(ev[j]), float(t[j]), int(d["track_id"][j])
        reason, detail, battery = str(d["reason"][j]), str(d["detail"][j]), str(d["battery"][j])
        if e in (Decision.BORN, Decision.DELETED) and trk not in confirmed:
            continue
        if e == Decision.VISIBLE:
            lines.append((tj, f"comes into view of {_radar(battle, int(d['sensor_id'][j]))} at "
                              f"{float(d['range_m'][j]) / 1000:.0f} km" + (
                                  f" (before: {reason.replace('_', ' ')})" if reason else "")))
        elif e == Decision.DETECTED:
            lines.append((tj, f"first detected by {_radar(battle, int(d['sensor_id'][j]))} at "
                              f"{float(d['range_m'][j]) / 1000:.0f} km"))
        elif e == Decision.BORN:
            lines.append((tj, f"track {trk} started from detection {int(d['detection_index'][j])} "
                              f"({_radar(battle, int(d['sensor_id'][j]))})"))
        elif e == Decision.CONFIRMED:
            change = f" -- an ID change: it was track {last_confirmed}" if last_confirmed not in (None, trk) else ""
            lines.append((tj, f"track {trk} {detail}{change}"))
            last_confirmed = trk
        elif e == Decision.COASTING:
            lines.append((tj, f"track {trk} coasting: {detail}" + (
                f", until {float(d['until_s'][j]):.0f} s" if reason == CoastEnd.RESUMED else "")))
        elif e == Decision.DELETED:
            lines.append((tj, f"track {trk} deleted: {detail}"))
        elif e == Decision.DROPPED:
            lines.append((tj, f"track {trk} dropped: {detail}"))
        elif e == Decision.REFUSED:
            lines.append((tj, f"candidate track {trk} refused a slot: {detail}"))
        elif e == Decision.RANKED:
            lines.append((tj, f"{battery}: {detail}"))
        elif e == Decision.FIRM:
            lines.append((tj, f"{battery}: track {trk} firm: {detail}"))
        elif e == Decision.OUT_OF_ENVELOPE:
            lines.append((tj, f"{battery}: not engageable: {detail}"))
        elif e == Decision.WAIT:
            lines.append((tj, f"{battery or 'fire control'} waits: {detail.split(';')[0]}"
                              + _until(battle, d, j, target)))
        elif e == Decision.ENGAGE:
            lines.append((tj, f"{battery} engages track {trk}: {detail}; intercept planned at "
                              f"{float(d['intercept_time_s'][j]):.0f} s"))
        elif e == Decision.LAUNCH:
            lines.append((tj, f"{battery} launches an interceptor from launcher {int(d['launcher'][j])}"))
        elif e == Decision.INTERCEPT:
            lines.append((tj, detail))
        elif e == Decision.ASSESSED:
            lines.append((tj, f"{battery} assesses the engagement: {detail}"))
        elif e == Decision.ABANDON:
            lines.append((tj, f"{battery} gives it up: {detail}"))
        elif e in (Decision.KILLED, Decision.LEAKED, Decision.SURVIVED):
            lines.append((tj, {Decision.KILLED: "destroyed",
                               Decision.LEAKED: f"reaches {th.asset[target]}: got through",
                               Decision.SURVIVED: "still flying when the run ends"}[Decision(e)]))
    lines.sort(key=lambda ln: ln[0])
    return lines


def track_story(battle: Battle, track: int) -> tuple[list[str], list[Line]]:
    """Header and (time, sentence) lines of one track's life."""
    d = battle.d
    th = battle.threats
    mine = np.flatnonzero(d["track_id"] == track)
    if mine.size == 0:
        return [f"Track {track}: no decision of this run concerns it (ids of tracks that existed appear in "
                "tracks.parquet)"], []
    mine = mine[np.argsort(d["time_s"][mine], kind="stable")]
    tgt = d["target_id"][mine]
    known = tgt[tgt >= 0]
    if known.size:
        vals, counts = np.unique(known, return_counts=True)
        target = int(vals[np.argmax(counts)])
        who = f"follows {th.name[target]} (target {target}, {kind_label(str(th.kind[target]), plural=False)})"
    else:
        who = "follows no target (born of false alarms)"
    head = [f"Track {track}: {who}"]
    lines: list[Line] = []
    for j in mine.tolist():
        e, tj = str(d["event"][j]), float(d["time_s"][j])
        detail, battery = str(d["detail"][j]), str(d["battery"][j])
        if e == Decision.BORN:
            lab = int(d["target_id"][j])
            src = th.name[lab] if lab >= 0 else "a false alarm"
            lines.append((tj, f"started from detection {int(d['detection_index'][j])} of "
                              f"{_radar(battle, int(d['sensor_id'][j]))} (truth: {src})"))
        elif e in (Decision.CONFIRMED, Decision.COASTING, Decision.DELETED, Decision.DROPPED, Decision.REFUSED):
            lines.append((tj, f"{e}: {detail}"))
        elif e == Decision.WAIT:
            lines.append((tj, f"{battery} waits: {detail.split(';')[0]}" + _until(battle, d, j,
                                                                                   int(d['target_id'][j]))))
        elif e in (Decision.KILLED, Decision.LEAKED, Decision.SURVIVED):
            continue
        else:
            lines.append((tj, f"{battery + ': ' if battery else ''}{e.replace('_', ' ')}: {detail}"))
    held = np.flatnonzero(d["other_track_id"] == track)
    if held.size:
        t0, t1 = float(d["time_s"][held].min()), float(d["time_s"][held].max())
        lines.append((t0, f"held a slot the tracker refused to {held.size} candidate"
                          f"{'s' if held.size != 1 else ''} between {t0:.0f} and {t1:.0f} s (it was the least "
                          "threatening confirmed track then)"))
    lines.sort(key=lambda ln: ln[0])
    return head, lines


def format_lines(head: list[str], lines: list[Line]) -> str:
    """The text ``airpicture explain`` prints: the header, then one line per event with its time."""
    out = list(head)
    if lines:
        out.append("")
        width = max(len(f"{t:.1f}") for t, _ in lines)
        out += [f"  {t:>{width}.1f} s  {text}" for t, text in lines]
    return "\n".join(out) + "\n"
