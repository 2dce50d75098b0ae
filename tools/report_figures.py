"""The plotly figures of a report.html, and a comparison of two reports figure by figure.

Usage::

    python tools/report_figures.py A/report.html B/report.html   # exit code 1 if a figure differs

Each figure is read back from its ``Plotly.newPlot(id, data, layout, config)`` call (and ``Plotly.addFrames``) as
parsed JSON, so two pages compare equal when they draw the same figures, whatever the order of keys or the
spacing of the JSON. Differences are listed by path (``map.data[3].line.width``), at most 20 per figure.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

_DECODER = json.JSONDecoder()


def _value(text: str, i: int) -> tuple[Any, int]:
    while text[i] in " \n\t,":
        i += 1
    return _DECODER.raw_decode(text, i)


def page_figures(page: str) -> dict[str, dict[str, Any]]:
    """div id -> {"data", "layout", "config"[, "frames"]} of every plotly figure in the page."""
    out: dict[str, dict[str, Any]] = {}
    start = 0
    while (i := page.find("Plotly.newPlot(", start)) >= 0:
        i += len("Plotly.newPlot(")
        div_id, i = _value(page, i)
        data, i = _value(page, i)
        layout, i = _value(page, i)
        config, i = _value(page, i)
        fig = {"data": data, "layout": layout, "config": config}
        rest = page[i:i + 200]
        marker = f"Plotly.addFrames('{div_id}', "
        if marker in rest:
            j = page.index(marker, i) + len(marker)
            fig["frames"], i = _value(page, j)
        out[div_id] = fig
        start = i
    return out


def differences(a: Any, b: Any, path: str = "") -> list[str]:
    """Paths where ``a`` and ``b`` differ (both parsed JSON)."""
    if isinstance(a, dict) and isinstance(b, dict):
        out = [f"{path}.{k}: only in the first" for k in a.keys() - b.keys()]
        out += [f"{path}.{k}: only in the second" for k in b.keys() - a.keys()]
        for k in a.keys() & b.keys():
            out += differences(a[k], b[k], f"{path}.{k}")
        return out
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return [f"{path}: {len(a)} items against {len(b)}"]
        return [d for k, (x, y) in enumerate(zip(a, b, strict=True)) for d in differences(x, y, f"{path}[{k}]")]
    if a != b or (type(a) is not type(b) and not {type(a), type(b)} <= {int, float}):
        return [f"{path}: {json.dumps(a)[:80]} against {json.dumps(b)[:80]}"]
    return []


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("first", type=Path)
    ap.add_argument("second", type=Path)
    args = ap.parse_args()
    a = page_figures(args.first.read_text(encoding="utf-8"))
    b = page_figures(args.second.read_text(encoding="utf-8"))
    bad = False
    for div_id in sorted(a.keys() | b.keys()):
        if div_id not in a or div_id not in b:
            print(f"{div_id}: only in the {'first' if div_id in a else 'second'} page")
            bad = True
            continue
        diffs = differences(a[div_id], b[div_id], div_id)
        print(f"{div_id}: {'same' if not diffs else f'{len(diffs)} differences'} "
              f"({len(a[div_id]['data'])} traces, {len(a[div_id].get('frames', []))} frames)")
        for d in sorted(diffs)[:20]:
            print("   ", d)
        bad = bad or bool(diffs)
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
