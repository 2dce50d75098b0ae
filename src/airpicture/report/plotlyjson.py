"""Plotly figures as plain dicts, written into the page without importing plotly.py.

The report's figures are built as plotly.js's figure schema (``{"data": [traces], "layout": {...}, "frames":
[...]}``) in plain dicts and lists, NumPy arrays left in place. This module writes them: JSON the way plotly.py
writes a figure (NumPy arrays as plotly.js base64 typed arrays, NaN and infinities as ``null``, ``<``, ``>`` and
``/`` escaped so the JSON is safe inside a ``<script>`` element), each figure in the same ``<div>`` and
``Plotly.newPlot`` call ``plotly.io.to_html`` makes, and the plotly.js bundle and the ``plotly_white`` template
read from the installed plotly package's data files.

Written by hand rather than through plotly.py because plotly's graph-object model (validation of every property,
deep copies, the lazily imported validators) cost more than half a second per report and about a second of
imports in a fresh process, for figures whose every property is fixed by this package. The tests check each
figure against plotly.py: ``plotly.graph_objects.Figure`` accepts it, and its JSON is what plotly.py writes for
the validated figure.
"""

from __future__ import annotations

import base64
import importlib.util
import json
from pathlib import Path
from typing import Any

import numpy as np

#: NumPy dtype -> plotly.js typed-array name (plotly.py's ``plotlyjsShortTypes``).
TYPED_ARRAY_DTYPES = {"int8": "i1", "uint8": "u1", "int16": "i2", "uint16": "u2", "int32": "i4", "uint32": "u4",
                      "float32": "f4", "float64": "f8"}
#: Characters escaped in the JSON, as plotly.py does: the page embeds it in <script> elements.
_ESCAPES = (("<", "\\u003c"), (">", "\\u003e"), ("/", "\\u002f"))


def plotly_package_dir() -> Path:
    """The installed plotly package's folder, found without importing it."""
    spec = importlib.util.find_spec("plotly")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("plotly is not installed; the report embeds its plotly.js bundle")
    return Path(next(iter(spec.submodule_search_locations)))


def plotly_js() -> str:
    """The plotly.js bundle shipped with the installed plotly package (what ``plotly.offline.get_plotlyjs``
    returns)."""
    return (plotly_package_dir() / "package_data" / "plotly.min.js").read_text(encoding="utf-8")


def template(name: str = "plotly_white") -> dict[str, Any]:
    """A plotly template as plotly.py expands ``layout.template = name`` (a fresh dict on every call)."""
    text = (plotly_package_dir() / "package_data" / "templates" / f"{name}.json").read_text(encoding="utf-8")
    out: dict[str, Any] = json.loads(text)
    return out


def typed_array(a: Any) -> Any:
    """plotly.js's base64 typed-array form of a NumPy array, as plotly.py writes arrays of validated figures
    (``to_typed_array_spec``): int64 arrays narrowed to the smallest integer type holding them, 2-D arrays with
    their shape; an empty array, or one of a type plotly.js has no typed array for, as a JSON list."""
    v = np.asarray(a)
    if v.size == 0:
        return v.tolist()
    if v.dtype == np.int64:
        lo, hi = int(v.min()), int(v.max())
        for t in (np.int8, np.int16, np.int32):
            if np.iinfo(t).min <= lo and hi <= np.iinfo(t).max:
                v = v.astype(t)
                break
    name = TYPED_ARRAY_DTYPES.get(str(v.dtype))
    if name is None:
        return v.tolist()
    v = np.ascontiguousarray(v)
    out = {"dtype": name, "bdata": base64.b64encode(v.tobytes()).decode("ascii")}
    if v.ndim > 1:
        out["shape"] = str(v.shape)[1:-1]
    return out


def _default(o: Any) -> Any:
    if isinstance(o, np.ndarray):
        return typed_array(o)
    if isinstance(o, np.generic):
        return o.item()
    raise TypeError(f"not JSON serialisable for a figure: {type(o).__name__}")


def _strict(text: str) -> str:
    """NaN and infinities written as ``null`` (plotly.js's missing value), as plotly.py writes them."""
    if "NaN" not in text and "Infinity" not in text:
        return text
    data = json.loads(text, parse_constant=lambda _: None)
    return json.dumps(data, separators=(",", ":"))


def to_json(obj: Any) -> str:
    """Compact JSON of a figure part (traces, layout or frames), safe inside a ``<script>`` element."""
    out = _strict(json.dumps(obj, separators=(",", ":"), default=_default))
    for unsafe, safe in _ESCAPES:
        out = out.replace(unsafe, safe)
    return out


def figure_div(fig: dict[str, Any], div_id: str, config: dict[str, Any], auto_play: bool = False,
               default_width: str = "100%") -> str:
    """The ``<div>`` and script that draw ``fig``: what ``plotly.io.to_html(fig, config=config,
    include_plotlyjs=False, full_html=False, div_id=div_id, default_width=default_width)`` writes."""
    layout = fig.get("layout", {})
    tlayout = layout.get("template", {}).get("layout", {})
    width = _css_size(layout.get("width", tlayout.get("width", default_width)))
    height = _css_size(layout.get("height", tlayout.get("height", "100%")))
    config = {**config}
    config.setdefault("responsive", True)
    if not config.get("showSendToCloud", False):
        config.pop("plotlyServerURL", None)
    frames = fig.get("frames")
    then = ""
    if frames:
        then = (".then(function(){\n                            Plotly.addFrames('" + div_id + "', "
                + to_json(frames) + ");\n                        })")
        if auto_play:
            then += (".then(function(){\n                            Plotly.animate('" + div_id
                     + "', null);\n                        })")
    script = (f'                if (document.getElementById("{div_id}")) {{'
              f"                    Plotly.newPlot("
              f'                        "{div_id}",'
              f"                        {to_json(fig.get('data', []))},"
              f"                        {to_json(layout)},"
              f"                        {json.dumps(config)}"
              f"                    ){then}                }}")
    return (f'<div style="height:{height}; width:{width};">                            '
            f'<div id="{div_id}" class="plotly-graph-div" style="height:100%; width:100%;"></div>'
            f"            <script>                window.PLOTLYENV=window.PLOTLYENV || {{}};                "
            f"{script};            </script>        </div>")


def _css_size(v: Any) -> str:
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return f"{v}px"
    return str(v)
