"""The scenario-file reference page, generated from the pydantic models (their JSON Schema, as printed by
``airpicture schema``): one table per section of the file, every field with its type, default, limits and
description. A MkDocs hook puts it where the page says ``<!-- scenario-reference -->``; run as a script it prints
the Markdown."""

from __future__ import annotations

import json
from typing import Any

MARKER = "<!-- scenario-reference -->"
_LIMITS = (("minimum", "≥"), ("exclusiveMinimum", ">"), ("maximum", "≤"), ("exclusiveMaximum", "<"),
           ("minLength", "length ≥"), ("maxLength", "length ≤"), ("minItems", "items ≥"), ("maxItems", "items ≤"))


def _ref(ref: str) -> str:
    return ref.rsplit("/", 1)[-1]


def _anchor(name: str) -> str:
    return name.lower()


def _type(p: dict[str, Any]) -> str:
    if "$ref" in p:
        name = _ref(p["$ref"])
        return f"[{name}](#{_anchor(name)})"
    if "enum" in p:
        return " \\| ".join(f"`{json.dumps(v)}`" for v in p["enum"])
    if "const" in p:
        return f"`{json.dumps(p['const'])}`"
    for key in ("oneOf", "anyOf"):
        if key in p:
            return " or ".join(_type(x) for x in p[key])
    t = p.get("type")
    if t == "array":
        if "items" in p:
            return f"list of {_type(p['items'])}"
        if "prefixItems" in p:
            return "[" + ", ".join(_type(x) for x in p["prefixItems"]) + "]"
        return "list"
    if t == "object":
        extra = p.get("additionalProperties")
        return f"table of {_type(extra)}" if isinstance(extra, dict) else "table"
    return {"number": "number", "integer": "integer", "string": "string", "boolean": "boolean",
            "null": "none"}.get(str(t), str(t) if t else "any")


def _limits(p: dict[str, Any]) -> str:
    parts = [f"{sym} {p[k]}" for k, sym in _LIMITS if k in p]
    if "pattern" in p:
        parts.append(f"pattern `{p['pattern']}`")
    return ", ".join(parts)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _table(schema: dict[str, Any]) -> list[str]:
    required = set(schema.get("required", []))
    lines = ["| field | type | default | limits | description |", "| --- | --- | --- | --- | --- |"]
    for name, p in schema.get("properties", {}).items():
        default = "*required*" if name in required else (
            f"`{json.dumps(p['default'])}`" if "default" in p else "")
        lines.append(f"| `{name}` | {_type(p)} | {_cell(default)} | {_cell(_limits(p))} | "
                     f"{_cell(p.get('description', ''))} |")
    return lines


def _refs(obj: Any) -> list[str]:
    """Names referenced in ``obj``, in order of appearance."""
    out: list[str] = []
    if isinstance(obj, dict):
        for k, v in obj.items():
            if k == "$ref" and isinstance(v, str):
                out.append(_ref(v))
            else:
                out.extend(_refs(v))
    elif isinstance(obj, list):
        for v in obj:
            out.extend(_refs(v))
    return out


def markdown() -> str:
    """The reference as Markdown: the top level first, then every section in the order the file meets it."""
    from airpicture.scenario import Scenario

    schema = Scenario.model_json_schema()
    defs = schema.get("$defs", {})
    order: list[str] = []
    queue = _refs(schema.get("properties", {}))
    while queue:
        name = queue.pop(0)
        if name not in order and name in defs:
            order.append(name)
            queue.extend(_refs(defs[name].get("properties", {})))
    order += [n for n in defs if n not in order]
    lines = ["## Scenario", "", schema.get("description", ""), "", *_table(schema), ""]
    for name in order:
        d = defs[name]
        lines += [f"## {name}", "", d.get("description", ""), "", *_table(d), ""]
    return "\n".join(lines)


def on_page_markdown(markdown_text: str, page: Any, config: Any, files: Any) -> str:
    """MkDocs hook: fill the marker with the generated reference."""
    if MARKER in markdown_text:
        return markdown_text.replace(MARKER, markdown())
    return markdown_text


if __name__ == "__main__":
    print(markdown())
