"""Results people can look at: the self-contained HTML report and static PNG figures of a results folder.

``build_report(run_dir)`` reads the folder's tables (:mod:`~airpicture.report.load`), builds every section whose
data exists, and writes ``report.html`` (and with ``png=True`` also ``figures/*.png``). Everything is rendered in
memory first and then written through temporary names and renames, so a failure leaves the folder as it was.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from airpicture.report.load import RunData, load_run

__all__ = ["FIGURES_DIR", "REPORT_NAME", "RunData", "build_report", "load_run"]

REPORT_NAME = "report.html"
FIGURES_DIR = "figures"


def build_report(run_dir: Path, png: bool = False) -> Path:
    """Write ``run_dir/report.html`` (and ``run_dir/figures/*.png`` if ``png``); return the report's path.

    Raises :class:`~airpicture.errors.InputError` if ``run_dir`` is not a results folder or a table in it is
    missing, unreadable or lacks a column; nothing is written then.
    """
    from airpicture.report.html import render_html

    run_dir = Path(run_dir)
    run = load_run(run_dir)
    page = render_html(run).encode("utf-8")
    images: dict[str, bytes] = {}
    if png:
        from airpicture.report.png import render_pngs

        images = render_pngs(run)
    if images:
        _replace_dir(run_dir / FIGURES_DIR, images)
    target = run_dir / REPORT_NAME
    _replace_file(target, page)
    return target


def _replace_file(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _replace_dir(path: Path, files: dict[str, bytes]) -> None:
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.partial-", dir=path.parent))
    try:
        for name, data in sorted(files.items()):
            (tmp / name).write_bytes(data)
        os.chmod(tmp, 0o755)
        if path.exists():
            trash = Path(tempfile.mkdtemp(prefix=f".{path.name}.old-", dir=path.parent))
            os.replace(path, trash / "old")
            os.replace(tmp, path)
            shutil.rmtree(trash, ignore_errors=True)
        else:
            os.replace(tmp, path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
