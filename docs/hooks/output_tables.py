"""The output-table reference, generated from :mod:`airpicture.outputs` (the declaration the writers and the
report use): one table per file, every column with its Arrow type, unit and meaning. A MkDocs hook puts it where
the page says ``<!-- output-tables -->``."""

from __future__ import annotations

from typing import Any

MARKER = "<!-- output-tables -->"


def markdown() -> str:
    from airpicture.outputs import TABLES

    lines: list[str] = []
    for t in TABLES.values():
        lines += [f"## {t.file}", "", f"One row: {t.row}.", "", "| column | type | unit | meaning |",
                  "| --- | --- | --- | --- |"]
        lines += [f"| `{c.name}` | {c.type} | {c.unit} | {c.meaning.replace('|', chr(92) + '|')} |"
                  for c in t.columns]
        lines.append("")
    return "\n".join(lines)


def on_page_markdown(markdown_text: str, page: Any, config: Any, files: Any) -> str:
    if MARKER in markdown_text:
        return markdown_text.replace(MARKER, markdown())
    return markdown_text
