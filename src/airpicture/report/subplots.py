"""A grid of x/y subplots as a plotly layout dict: the axes' domains, anchors and title annotations that
``plotly.subplots.make_subplots`` writes for a regular grid (start cell top left, no spans, no insets), computed
with the same arithmetic so the numbers are the same. Domains are fractions of the plotting area."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class SubplotGrid:
    """``rows`` x ``cols`` subplots numbered row by row from the top left (1, 2, ...); ``layout`` holds their axes
    and title annotations, to be completed by the caller."""

    rows: int
    cols: int
    layout: dict[str, Any] = field(default_factory=dict)

    def index(self, row: int, col: int) -> int:
        """Number of the subplot at ``row``, ``col`` (1-based)."""
        return (row - 1) * self.cols + col

    def axis_name(self, letter: str, row: int, col: int) -> str:
        """Layout key of a subplot's axis: ``xaxis``, ``yaxis2``, ..."""
        k = self.index(row, col)
        return f"{letter}axis{k if k > 1 else ''}"

    def axes(self, row: int, col: int) -> dict[str, str]:
        """A trace's axis references for the subplot at ``row``, ``col``."""
        k = self.index(row, col)
        suffix = str(k) if k > 1 else ""
        return {"xaxis": f"x{suffix}", "yaxis": f"y{suffix}"}


def subplot_grid(rows: int, cols: int, titles: tuple[str, ...] | list[str] = (), horizontal_spacing: float = 0.2,
                 vertical_spacing: float = 0.3, shared_x: bool = False) -> SubplotGrid:
    """The grid's layout as ``make_subplots(rows, cols, subplot_titles=titles, horizontal_spacing=...,
    vertical_spacing=..., shared_xaxes="all" if shared_x else False)`` writes it."""
    widths = [(1.0 - horizontal_spacing * (cols - 1)) / cols] * cols
    heights = [(1.0 - vertical_spacing * (rows - 1)) / rows] * rows
    grid = SubplotGrid(rows, cols)
    domains: list[tuple[list[float], list[float]]] = []
    for r in range(rows):
        for c in range(cols):
            x_s = sum(widths[:c]) + c * horizontal_spacing
            x_e = x_s + widths[c]
            b = rows - 1 - r  # rows are stacked from the bottom
            y_s = _clip(sum(heights[:b]) + b * vertical_spacing)
            y_e = _clip(sum(heights[:b]) + b * vertical_spacing + heights[-1 - r])
            domains.append(([x_s, x_e], [y_s, y_e]))
            k = grid.index(r + 1, c + 1)
            suffix = str(k) if k > 1 else ""
            grid.layout[f"xaxis{suffix}"] = {"anchor": f"y{suffix}", "domain": [x_s, x_e]}
            grid.layout[f"yaxis{suffix}"] = {"anchor": f"x{suffix}", "domain": [y_s, y_e]}
    if shared_x:  # every x axis matches the bottom-left one; tick labels on the bottom row only
        ref = grid.index(rows, 1)
        for r in range(1, rows + 1):
            for c in range(1, cols + 1):
                k = grid.index(r, c)
                axis = grid.layout[grid.axis_name("x", r, c)]
                if k != ref:
                    axis["matches"] = f"x{ref if ref > 1 else ''}"
                if r < rows:
                    axis["showticklabels"] = False
    grid.layout["annotations"] = [
        {"font": {"size": 16}, "showarrow": False, "text": text, "x": sum(xd) / 2.0, "xanchor": "center",
         "xref": "paper", "y": yd[1], "yanchor": "bottom", "yref": "paper"}
        for text, (xd, yd) in zip(titles, domains, strict=False) if text]
    return grid


def _clip(y: float) -> float:
    """Round a domain end within 0.01 outside [0, 1] back onto it, as plotly does for floating-point error."""
    return 0.0 if -0.01 < y < 0.0 else 1.0 if 1.0 < y < 1.01 else y
