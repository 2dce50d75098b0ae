"""The report's per-threat table: every threat with its first detection, first track, engagements, waits,
outcome and first cause; sortable by any column, filterable by outcome. Choosing a row highlights the threat
on the map (its path drawn over the others) and on the engagement timeline (its row banded) -- see the page's
script in :mod:`.html`. Times are seconds from the scenario start.
"""

from __future__ import annotations

import html

import numpy as np

from airpicture.decisions.schema import CAUSE_LABELS
from airpicture.explain.battle import Battle, kind_label
from airpicture.vocab import Decision

_OUTCOME_ORDER: dict[str, int] = {Decision.LEAKED: 0, Decision.SURVIVED: 1, Decision.KILLED: 2}
OUTCOME_LABEL: dict[str, str] = {Decision.KILLED: "killed", Decision.LEAKED: "got through",
                                 Decision.SURVIVED: "still flying"}


def _num(v: float, digits: int = 0) -> tuple[str, str]:
    """(shown text, sort key) of a time or number; '—' and +inf sort key when missing."""
    if v is None or not np.isfinite(v):
        return "—", "Infinity"
    return f"{v:.{digits}f}", f"{v:.6g}"


def threat_table_html(battle: Battle) -> str:
    """The table (inside a scrolling box) with its filter."""
    th = battle.threats
    idx = np.flatnonzero(th.threat)
    order = idx[np.lexsort((idx, np.where(np.isfinite(th.outcome_s[idx]), th.outcome_s[idx], np.inf),
                            np.array([_OUTCOME_ORDER.get(str(o), 3)
                                      for o in th.outcome[idx]])))]
    cols = ("Threat", "Kind", "Asset", "Outcome", "First cause", "In view (s)", "Detected (s)", "Tracked (s)",
            "Engaged (s)", "Shots", "Waited (s)", "Waited for", "Ended (s)", "Why")
    kinds = ("text", "text", "text", "text", "text", "num", "num", "num", "num", "num", "num", "text", "num", "text")
    head = "".join(f'<th data-k="{k}" tabindex="0" scope="col"{" class=num" if k == "num" else ""}>'
                   f'{html.escape(c)}<span class="arrow"></span></th>' for c, k in zip(cols, kinds, strict=True))
    body = []
    for i in order.tolist():
        out = str(th.outcome[i])
        code = str(th.cause[i])
        cause = CAUSE_LABELS.get(code, code) if out in (Decision.LEAKED, Decision.SURVIVED) else ""
        why = str(th.cause_text[i]).split(": ", 1)[-1] if cause else ""
        cells = [
            (f'<td data-v="{html.escape(th.name[i])}"><b>{html.escape(th.name[i])}</b> '
             f'<span class="id">#{i}</span></td>'),
            f"<td>{html.escape(kind_label(str(th.kind[i]), plural=False))}</td>",
            f"<td>{html.escape(str(th.asset[i]))}</td>",
            f'<td data-v="{html.escape(out)}"><span class="badge {html.escape(out)}">'
            f'{html.escape(OUTCOME_LABEL.get(out, out or "—"))}</span></td>',
            f'<td class="cause">{html.escape(cause)}</td>',
        ]
        for v in (th.first_visible_s[i], th.first_detection_s[i], th.first_track_s[i], th.first_engage_s[i]):
            text, key = _num(float(v))
            cells.append(f'<td class="num" data-v="{key}">{text}</td>')
        shots = f"{int(th.engagements[i])} ({int(th.interceptors[i])})" if th.engagements[i] else "0"
        cells.append(f'<td class="num" data-v="{int(th.interceptors[i])}">{shots}</td>')
        w = float(th.waited_s[i])
        cells.append(f'<td class="num" data-v="{w:.6g}">{w:.0f}</td>')
        cells.append(f"<td>{html.escape(th.waited_for[i]) if w > 0 else ''}</td>")
        text, key = _num(float(th.outcome_s[i]))
        cells.append(f'<td class="num" data-v="{key}">{text}</td>')
        cells.append(f'<td class="why">{html.escape(why)}</td>')
        body.append(f'<tr data-tid="{i}" data-out="{html.escape(out)}" tabindex="0">{"".join(cells)}</tr>')
    counts = {k: int(np.count_nonzero(th.outcome[idx] == k)) for k in OUTCOME_LABEL}
    options = "".join(f'<option value="{k}">{html.escape(v)} ({counts[k]})</option>' for k, v in OUTCOME_LABEL.items()
                      if counts[k])
    return (f'<div class="tools"><label>Show <select id="threat-filter"><option value="">every threat '
            f'({idx.size})</option>{options}</select></label> <span class="hint">Click a column to sort; choose a '
            'row to highlight the threat on the map and the timeline (Esc clears).</span></div>'
            f'<div class="scroll tall"><table class="grid threats" id="threat-table"><thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(body)}</tbody></table></div>')
