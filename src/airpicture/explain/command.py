"""``airpicture explain RUN [--threat ID|NAME | --track ID]``: the battle's verdict, or the life of one threat or
track, in plain sentences with times, read from the run's decision log (no simulation, no plotting libraries:
quick)."""

from __future__ import annotations

from pathlib import Path

from airpicture.errors import InputError
from airpicture.explain.battle import Battle, cause_counts, load_battle, outcomes_by_kind, verdict
from airpicture.explain.names import find_target
from airpicture.explain.story import format_lines, header, threat_story, track_story
from airpicture.vocab import Decision


def verdict_text(battle: Battle) -> str:
    """The verdict, outcomes by threat kind and the leakers with their first causes, as text."""
    sc = battle.run.scenario
    out = [f"{sc.name}: {sc.duration_s:g} s simulated, seed {sc.seed}", ""]
    out += verdict(battle)
    kinds = outcomes_by_kind(battle)
    if kinds:
        out += ["", "Outcomes by threat kind:"]
        head = ("kind", "threats", "would hit", "killed", "leaked", "still flying", "engaged", "never tracked")
        cells = [[k["label"], *(str(k[c]) for c in ("threats", "would_hit", "killed", "leaked", "survived",
                                                     "engaged", "never_tracked"))] for k in kinds]
        widths = [max(len(head[i]), *(len(r[i]) for r in cells)) for i in range(len(head))]
        out.append("  " + "  ".join(h.ljust(w) if i == 0 else h.rjust(w) for i, (h, w) in
                                    enumerate(zip(head, widths, strict=True))))
        for r in cells:
            out.append("  " + "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in
                                        enumerate(zip(r, widths, strict=True))))
    th = battle.threats
    leak = [i for i in range(len(th.name)) if th.threat[i] and th.outcome[i] == Decision.LEAKED]
    if leak:
        leak.sort(key=lambda i: float(th.outcome_s[i]))
        out += ["", f"Leakers ({len(leak)}), by time, with their first cause "
                    "(airpicture explain RUN --threat NAME for the whole story):"]
        width = max(len(th.name[i]) for i in leak)
        for i in leak:
            text = str(th.cause_text[i]).split(": ", 1)[-1].split("; ")[0]
            out.append(f"  {float(th.outcome_s[i]):6.0f} s  {th.name[i]:<{width}}  {text}")
    if not cause_counts(battle) and not leak and battle.has_engagement:
        out += ["", "No threat got through."]
    return "\n".join(out) + "\n"


def explain_command(run_dir: Path, threat: str | None, track: int | None) -> str:
    """The text ``airpicture explain`` prints."""
    if threat is not None and track is not None:
        raise InputError("command line", "give --threat or --track, not both")
    battle = load_battle(run_dir)
    if threat is not None:
        target = find_target(threat, battle.threats.name)
        return format_lines(header(battle, target), threat_story(battle, target))
    if track is not None:
        head, lines = track_story(battle, track)
        return format_lines(head, lines)
    return verdict_text(battle)
