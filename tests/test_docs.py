"""The documentation site builds with ``mkdocs build --strict`` (no warning: every link, snippet and docstring
reference resolves), and its scenario-file reference covers every field of the scenario models."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

needs_docs = pytest.mark.skipif(
    importlib.util.find_spec("mkdocs") is None and not os.environ.get("CI"),
    reason="the docs extra is not installed (pip install '.[docs]'); CI installs it",
)


def _reference() -> str:
    sys.path.insert(0, str(ROOT / "docs" / "hooks"))
    try:
        from scenario_reference import markdown
    finally:
        sys.path.pop(0)
    return markdown()


def test_scenario_reference_lists_every_field_of_every_model() -> None:
    from pydantic import BaseModel

    from airpicture.scenario import Scenario

    text = _reference()
    seen: set[type] = set()
    todo: list[type[BaseModel]] = [Scenario]
    while todo:
        model = todo.pop()
        if model in seen:
            continue
        seen.add(model)
        assert f"## {model.__name__}\n" in text
        for name, info in model.model_fields.items():
            assert f"| `{name}` |" in text, f"{model.__name__}.{name} missing"
            if info.description:
                assert info.description.replace("|", "\\|").replace("\n", " ") in text
        annotations = [f.annotation for f in model.model_fields.values()]
        todo += [m for m in _models_in(annotations) if m not in seen]
    assert len(seen) > 15


def _models_in(annotations: list[object]) -> list[type]:
    from typing import get_args

    from pydantic import BaseModel

    out: list[type] = []
    stack = list(annotations)
    while stack:
        a = stack.pop()
        if isinstance(a, type) and issubclass(a, BaseModel):
            out.append(a)
        stack += list(get_args(a))
    return out


@needs_docs
def test_site_builds_strictly(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")]),
           "NO_MKDOCS_2_WARNING": "1"}
    r = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
                       cwd=ROOT, capture_output=True, text=True, env=env, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    api = (tmp_path / "site" / "reference" / "api" / "index.html").read_text(encoding="utf-8")
    assert "Simulation" in api and "with_overrides" in api
    ref = (tmp_path / "site" / "reference" / "scenario-file" / "index.html").read_text(encoding="utf-8")
    assert "scan_period_s" in ref and "scenario-reference" not in ref
