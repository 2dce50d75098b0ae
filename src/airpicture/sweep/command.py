"""``airpicture sweep``: validate everything first (sweep file, every grid point, output folder, Dask address),
then run. Bad input raises :class:`~airpicture.errors.InputError` before any run starts or any file is written.
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from airpicture.errors import InputError
from airpicture.sweep.backends import Backend, DaskCluster, LocalProcesses, WorkerLost
from airpicture.sweep.runner import BarProgress, NoProgress, SweepResult, run_sweep
from airpicture.sweep.spec import load_sweep
from airpicture.sweep.store import check_folder

DEFAULT_OUT = Path("sweeps")


def make_backend(dask: str | None, workers: int | None) -> Backend:
    """Local processes (default), ``dask="local"`` for a new LocalCluster, or a scheduler address."""
    if workers is not None and workers < 1:
        raise InputError("command line", "--workers must be at least 1")
    if dask is None:
        return LocalProcesses(workers)
    if not dask.strip():
        raise InputError("--dask", "expected a scheduler address such as tcp://host:8786, or 'local'")
    if dask != "local" and workers is not None:
        raise InputError("command line", "--workers applies to local processes and --dask local; an existing "
                                         "Dask cluster runs on the workers it has")
    return DaskCluster(dask, workers)


def sweep_command(spec: str | None, out_dir: Path | None, dask: str | None, workers: int | None, quiet: bool,
                  out: Console, err: Console, retry_failed: bool = False) -> SweepResult:
    """Everything the command does; returns the result for the caller to report. ``retry_failed``
    (``--retry-failed``) re-runs the runs whose row recorded an error, replacing those rows."""
    plan = load_sweep(spec)
    folder = out_dir or DEFAULT_OUT / plan.spec.name
    resuming = check_folder(folder, plan)
    backend = make_backend(dask, workers)
    try:
        progress = NoProgress() if quiet else BarProgress(f"sweep {plan.spec.name}", err)
        if not quiet:
            what = "resuming" if resuming else "running"
            if resuming and retry_failed:
                what += " (re-running failed runs)"
            err.print(f"{what} sweep [bold]{plan.spec.name}[/]: {len(plan.points)} grid points x "
                      f"{plan.spec.seeds_per_point} seeds = {plan.n_runs} runs of '{plan.base.name}' on "
                      f"{backend.description} -> {folder}", highlight=False)
        try:
            result = run_sweep(plan, folder, backend, progress, retry_failed=retry_failed)
        except WorkerLost as exc:
            err.print(f"[bold red]stopped[/]: {exc}. Finished runs are kept in {folder}; run the same command "
                      "again to resume", highlight=False)
            raise typer.Exit(1) from None
        except KeyboardInterrupt:
            err.print(f"interrupted: finished runs are kept in {folder}; run the same command again to resume")
            raise
    finally:
        backend.close()
    if not quiet:
        report(result, out)
    return result


def report(result: SweepResult, out: Console) -> None:
    """Headline lines after a sweep."""
    retried = f" ({result.retried} failed before)" if result.retried else ""
    out.print(f"[bold green]done[/]: {result.total_runs} runs ({result.resumed} already done, {result.ran} run now"
              f"{retried}, {result.failed} failed) in {result.elapsed_s:.1f} s on {result.backend}", highlight=False)
    out.print(f"  rows: {result.table_path}", highlight=False)
    for p in result.figures:
        out.print(f"  figure: {p}", highlight=False)
    if result.failed:
        errors = result.table.column("error").drop_null().to_pylist()
        for text in sorted(set(errors))[:3]:
            out.print(f"  [red]failed[/] ({errors.count(text)} runs): {text}", highlight=False)
        out.print("  resuming skips failed runs; add --retry-failed to run them again", highlight=False)
