"""``airpicture sweep``: validate everything first (sweep file, every grid point, output folder, Dask address),
then run. Bad input raises :class:`~airpicture.errors.InputError` before any run starts or any file is written.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape

from airpicture.budget import Estimate, check_sweep_runs, estimate_run, memory_budget
from airpicture.errors import InputError
from airpicture.exits import STOPPED, on_interrupt
from airpicture.folders import check_output_path
from airpicture.sweep.backends import Backend, DaskCluster, LocalProcesses, WorkerLost, available_cores
from airpicture.sweep.runner import BarProgress, NoProgress, SweepResult, battles_per_minute, run_sweep
from airpicture.sweep.spec import SweepPlan, load_sweep
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


@dataclass(frozen=True)
class PreparedSweep:
    """A sweep checked end to end before anything runs: its plan, folder, whether it resumes, the workers that
    will run at once, and the largest grid point's run estimate."""

    plan: SweepPlan
    folder: Path
    resuming: bool
    concurrent: int
    largest_run: Estimate


def prepare_sweep(spec: str | Path | None, out_dir: str | Path | None = None, dask: str | None = None,
                  workers: int | None = None, max_memory: str | None = None) -> PreparedSweep:
    """Validate everything a sweep needs -- the sweep file, every grid point, the output folder, the work
    against the memory budget (``max_memory``; default: half of this machine's memory) -- without running or
    writing anything; raise :class:`InputError` on the first problem."""
    budget = memory_budget(max_memory)
    plan = load_sweep(spec, budget)
    folder = check_output_path(out_dir) if out_dir is not None else DEFAULT_OUT / plan.spec.name
    resuming = check_folder(folder, plan)
    if workers is not None and workers < 1:
        raise InputError("command line", "--workers must be at least 1")
    concurrent = 1 if dask not in (None, "local") else (workers or available_cores())
    largest = check_sweep_runs([estimate_run(gp.scenario, report=False) for gp in plan.points], concurrent,
                               plan.source, budget, len(plan.points), plan.n_runs)
    return PreparedSweep(plan, folder, resuming, concurrent, largest)


def sweep_command(spec: str | None, out_dir: str | Path | None, dask: str | None, workers: int | None,
                  quiet: bool, out: Console, err: Console, retry_failed: bool = False,
                  max_memory: str | None = None) -> SweepResult:
    """Everything the command does; returns the result for the caller to report. ``retry_failed``
    (``--retry-failed``) re-runs the runs whose row recorded an error, replacing those rows. Work above the
    memory budget (``max_memory``, default half of this machine's memory) is refused before anything runs.

    Exit codes (through :class:`typer.Exit`): 3 when a worker process dies or the cluster fails a run (the finished
    rows are kept: the same command resumes); an interruption ends the workers at once and keeps the rows too.
    """
    prepared = prepare_sweep(spec, out_dir, dask, workers, max_memory)
    plan, folder, resuming = prepared.plan, prepared.folder, prepared.resuming
    backend = make_backend(dask, workers)
    interrupted = False
    try:
        progress = NoProgress() if quiet else BarProgress(f"sweep {plan.spec.name}", err)
        if not quiet:
            what = "resuming" if resuming else "running"
            if resuming and retry_failed:
                what += " (re-running failed runs)"
            points = "sample points (Saltelli)" if plan.sensitivity is not None else "grid points"
            err.print(f"{what} sweep [bold]{escape(plan.spec.name)}[/]: {len(plan.points)} {points} x "
                      f"{plan.spec.seeds_per_point} seeds = {plan.n_runs} runs of '{escape(plan.base.name)}' on "
                      f"{backend.description} -> {escape(str(folder))}", highlight=False)
        note = f"finished runs are kept in {folder}; run the same command again to resume"
        try:
            with on_interrupt(note):
                if dask is None and prepared.concurrent >= 2:
                    compile_before_workers(plan, quiet, err)
                result = run_sweep(plan, folder, backend, progress, retry_failed=retry_failed)
        except WorkerLost as exc:
            err.print(f"[bold red]stopped[/]: {escape(str(exc))}. Finished runs are kept in {escape(str(folder))}; "
                      "run the same command again to resume", highlight=False)
            raise typer.Exit(STOPPED) from None
        except KeyboardInterrupt:
            interrupted = True
            raise
    finally:
        if interrupted:
            backend.terminate()
        else:
            backend.close()
    if not quiet:
        report(result, out)
    return result


def compile_before_workers(plan: SweepPlan, quiet: bool, err: Console) -> None:
    """With a cold kernel cache, compile the base scenario's kernels on two cores before the local workers start
    (:mod:`airpicture.precompile`): otherwise every worker compiles all of them at once on its own core. Grid
    points with another tracker configuration compile what they add in their worker, as before."""
    base = plan.base
    if not base.sensors:
        return
    from airpicture.compiled import first_run_notice
    from airpicture.precompile import compile_ahead_for

    notice = first_run_notice()
    if notice is None:
        return
    if not quiet:
        err.print(f"[yellow]note[/]: {escape(notice)}, before the workers start", highlight=False, soft_wrap=True)
    compile_ahead_for(base)


def report(result: SweepResult, out: Console) -> None:
    """Headline lines after a sweep."""
    retried = f" ({result.retried} failed before)" if result.retried else ""
    out.print(f"[bold green]done[/]: {result.total_runs} runs ({result.resumed} already done, {result.ran} run now"
              f"{retried}, {result.failed} failed) in {result.elapsed_s:.1f} s on {result.backend} "
              f"({battles_per_minute(result.ran, result.elapsed_s)} battles/min)", highlight=False)
    out.print(f"  rows: {result.table_path}", highlight=False)
    for p in result.figures:
        out.print(f"  {'table' if p.suffix == '.parquet' else 'figure'}: {p}", highlight=False)
    if result.failed:
        errors = result.table.column("error").drop_null().to_pylist()
        for text in sorted(set(errors))[:3]:
            out.print(f"  [red]failed[/] ({errors.count(text)} runs): {text}", highlight=False)
        out.print("  resuming skips failed runs; add --retry-failed to run them again", highlight=False)
