"""The ``airpicture`` command line (typer).

User mistakes raise :class:`~airpicture.errors.InputError`; ``main`` prints its message and exits with code 2,
without a traceback and without leaving partial results behind.
"""

from __future__ import annotations

import errno
import json
import os
import sys
import time
import warnings
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from airpicture import exits
from airpicture.errors import InputError, RenamedFieldWarning
from airpicture.tracking.cli import track

if TYPE_CHECKING:
    from airpicture.progress import Reporter
    from airpicture.scenario import Scenario

# Each command imports what it needs when it runs: `airpicture --help` loads neither the scenario models nor
# NumPy, and no command loads the compiled kernels, pyarrow or the plotting libraries before it needs them.

app = typer.Typer(
    name="airpicture",
    help="Simulate an air-defence battery's surveillance and engagement chain: radars, tracker, fire control.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)
err = Console(stderr=True)
out = Console()

ScenarioArg = Annotated[
    str | None,
    typer.Argument(help="Built-in scenario name or path to a scenario .toml file (default: the built-in 'default')."),
]


MaxMemoryOption = Annotated[str | None, typer.Option(
    "--max-memory", metavar="SIZE",
    help="Refuse work estimated to need more memory than SIZE (e.g. 8GB, 512MiB; default: half of this "
         "machine's memory).")]


def _load(ref: str | None, seed: int | None = None) -> tuple[Scenario, str]:
    from airpicture.scenario import MAX_SEED, load_scenario, resolve_scenario_path

    path = resolve_scenario_path(ref)
    scenario = load_scenario(path)
    if seed is not None:
        if not 0 <= seed <= MAX_SEED:
            raise InputError("command line", f"--seed must be an integer in [0, 2^63 - 1 = {MAX_SEED}], got {seed}")
        scenario = scenario.model_copy(update={"seed": seed})
    return scenario, str(path)


def _notes(notes: list[str], quiet: bool) -> None:
    if not quiet:
        for note in notes:
            err.print(f"[yellow]note[/]: {escape(note)}", highlight=False, soft_wrap=True)


@app.command()
def run(
    scenario: ScenarioArg = None,
    out_dir: Annotated[
        str | None, typer.Option("--out", help="Results folder (default: runs/<scenario>-<time>).")
    ] = None,
    seed: Annotated[int | None, typer.Option(help="Override the scenario's seed.")] = None,
    overwrite: Annotated[bool, typer.Option(
        help="Replace an existing --out folder, if airpicture wrote it (its manifest.json says so) and it holds "
             "nothing else.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar or summary lines.")] = False,
    json_out: Annotated[bool, typer.Option("--json", help="Print summary.json to stdout (implies --quiet).")] = False,
    no_report: Annotated[bool, typer.Option("--no-report", help="Skip report.html (faster).")] = False,
    max_memory: MaxMemoryOption = None,
) -> None:
    """Run a scenario end to end and write a results folder (tables, summary.json, report.html).

    Examples:

      airpicture run                       # the built-in default scenario

      airpicture run teaching --out runs/t # a built-in scenario into a chosen folder

      airpicture run my.toml --seed 7 --json
    """
    from airpicture.budget import check_run_budget, memory_budget
    from airpicture.engine import run_into
    from airpicture.folders import staged
    from airpicture.io import default_run_dir
    from airpicture.progress import reporter

    sc, source = _load(scenario, seed)
    quiet = quiet or json_out
    budget = memory_budget(max_memory)
    check_run_budget(sc, source, budget, report=not no_report)
    target = out_dir if out_dir is not None else default_run_dir(
        "runs", sc.name, datetime.now().strftime("%Y%m%d-%H%M%S"))
    staging = staged(target, "run", overwrite)  # the output folder is checked before any work
    t0 = time.perf_counter()
    staging.start()  # removes what killed runs left in the same parent folder
    try:
        _notes(staging.notes, quiet and not json_out)
        notice = None
        if sc.sensors:
            from airpicture.compiled import first_run_notice

            notice = first_run_notice()
            _notes([notice] if notice else [], quiet)
        with reporter(quiet, err) as progress:
            if notice:
                _compile_ahead(sc, progress)
            result = run_into(sc, staging, source, report=not no_report, progress=progress)
    except BaseException:
        staging.abandon()
        raise
    elapsed = time.perf_counter() - t0
    if json_out:
        sys.stdout.write(json.dumps(result.summary, indent=2) + "\n")
        return
    if not quiet:
        _print_headline(result.summary, staging.final, elapsed)


def _compile_ahead(sc: Scenario, progress: Reporter) -> None:
    """A first run on this machine: compile the run's kernels on two cores before it starts (see
    :mod:`airpicture.precompile`); the second process's kernels appear on the compile line as it reports them."""
    from airpicture.precompile import compile_ahead_for

    line = progress.compiling

    def there(name: str, seconds: float) -> None:
        if line is not None:
            line.start(f"{name.removeprefix('airpicture.').replace(':', '.')} (second core)")
            line.end(name, seconds, second_core=True)

    compile_ahead_for(sc, there=there)


def _print_headline(summary: dict, target: Path, elapsed: float) -> None:
    t = summary["targets"]
    out.print(f"[bold green]done[/] in {elapsed:.2f} s -> [bold]{escape(str(target))}[/]")
    lines = [f"targets {t['total']} ({t['threats']} threats, {t['civil']} civil)"]
    if "engagement" in summary:
        e = summary["engagement"]
        lines.append(f"threats {e['threats']}: kills {e['kills']}, leakers {e['leakers']}, survived {e['survived']}; "
                     f"interceptors {e['interceptors_expended']}")
    if "tracking" in summary:
        tr = summary["tracking"]
        lines += _picture_lines(tr)
    for line in lines:
        out.print("  " + line, soft_wrap=True)
    if "decisions" in summary and "engagement" in summary:
        out.print(f"  why: airpicture explain {escape(str(target))}")


def _picture_lines(tr: dict) -> list[str]:
    """The picture's quality: GOSPA said for what it is (a score, dominated by missed targets when many go
    untracked, not a distance), then the tracks and the position error of the targets tracked."""
    gospa = tr.get("gospa_mean_m")
    parts = [tr.get(k) or 0.0 for k in ("gospa_missed_mean_m2", "gospa_false_mean_m2", "gospa_localisation_mean_m2")]
    first = f"picture: mean GOSPA {gospa:.0f} m, a score, not a distance" if isinstance(gospa, int | float) else ""
    if first and sum(parts) > 0:
        first += (f" (GOSPA²: {100 * parts[0] / sum(parts):.0f} % missed targets, "
                  f"{100 * parts[1] / sum(parts):.0f} % false tracks)")
    rmse = tr.get("rmse_position_m")
    second = f"tracks: {tr.get('confirmed_tracks')} confirmed" + (
        f", position error of tracked targets {rmse:.0f} m" if isinstance(rmse, int | float) else "")
    return [line for line in (first, second) if line]


@app.command()
def validate(
    scenario: Annotated[str, typer.Argument(help="Scenario .toml file or built-in name, or a sweep .toml file.")],
    max_memory: MaxMemoryOption = None,
    workers: Annotated[int | None, typer.Option(
        help="Sweep files: the local worker processes the sweep will run on (default: all cores).")] = None,
) -> None:
    """Check a scenario (or sweep) file, estimate the work and memory a run needs, and print what it contains.

    Work whose estimated memory exceeds the budget is refused (exit code 2), naming the fields that drive the
    estimate; nothing of that size is ever allocated. A sweep file is checked as 'airpicture sweep' checks it
    (every grid point, the runs against the budget), without running anything.

    Examples:

      airpicture validate my_scenario.toml

      airpicture validate my_sweep.toml --workers 2
    """
    from airpicture.budget import check_run_budget, memory_budget

    if _is_sweep_file(scenario):
        _validate_sweep(scenario, max_memory, workers)
        return
    sc, source = _load(scenario)
    estimate = check_run_budget(sc, source, memory_budget(max_memory))
    from airpicture.truth import generate_truth

    truth = generate_truth(sc, source)  # also checks routes and replay files
    out.print(f"[bold green]valid[/]: {escape(str(source))}")
    lines = [f"{sc.name}: {sc.description}",
             f"{sc.duration_s:g} s at {sc.time_step_s:g} s steps, seed {sc.seed}, site "
             f"{sc.site.latitude_deg:.4f}, {sc.site.longitude_deg:.4f}",
             f"assets: {', '.join(a.name for a in sc.assets)}",
             f"sensors: {len(sc.sensors)}  batteries: {len(sc.batteries)}"]
    lines += [f"raid {r.name}: {r.count} x {r.kind} -> {r.asset} ({r.profile.kind})" for r in sc.raids]
    lines += [f"civil {c.name}: {c.count} x {c.kind}" for c in sc.civil_traffic]
    lines += [f"replay {rp.name}: {rp.file}" for rp in sc.replays]
    for line in lines:
        out.print("  " + escape(line))
    hostile = int(truth.targets.hostile.sum())
    out.print(f"  truth: {truth.n_targets} targets ({hostile} threats), {len(truth.samples)} samples")
    for line in estimate.lines():
        out.print("  " + escape(line))


def _is_sweep_file(ref: str) -> bool:
    """A .toml file (not a built-in scenario name) whose top level has the keys of a sweep file."""
    from airpicture.scenario import read_toml

    path = Path(ref)
    if not (path.suffix == ".toml" or "/" in ref) or not path.is_file():
        return False
    data = read_toml(path)
    return ("grid" in data or "sensitivity" in data) and "scenario" in data and "site" not in data


def _validate_sweep(ref: str, max_memory: str | None, workers: int | None) -> None:
    from airpicture.budget import gb
    from airpicture.sweep.command import prepare_sweep

    prepared = prepare_sweep(ref, None, None, workers, max_memory)
    plan = prepared.plan
    out.print(f"[bold green]valid[/]: {escape(ref)} (sweep)")
    lines = [f"{plan.spec.name}: {plan.spec.description}",
             f"{len(plan.points)} {'sample' if plan.sensitivity is not None else 'grid'} points x "
             f"{plan.spec.seeds_per_point} seeds = {plan.n_runs} runs of "
             f"'{plan.base.name}'",
             f"largest run: estimated peak memory {gb(prepared.largest_run.peak_bytes)}; "
             f"{prepared.concurrent} at once"]
    for line in lines:
        out.print("  " + escape(line))


@app.command()
def scenarios() -> None:
    """List the built-in scenarios.

    Example: airpicture scenarios
    """
    from rich.table import Table

    from airpicture.scenario import builtin_names, builtin_path, read_toml

    table = Table("name", "description", box=None, pad_edge=False)
    for name in builtin_names():
        data = read_toml(builtin_path(name))
        table.add_row(name, str(data.get("description", "")))
    out.print(table)


@app.command()
def schema() -> None:
    """Print the JSON Schema of scenario files: every field with its type, limits, default and description.

    Example: airpicture schema > scenario.schema.json
    """
    from airpicture.scenario import Scenario

    sys.stdout.write(json.dumps(Scenario.model_json_schema(), indent=2) + "\n")


@app.command()
def report(
    run_dir: Annotated[Path, typer.Argument(help="A results folder written by 'airpicture run'.")],
    png: Annotated[bool, typer.Option("--png", help="Also write static figures into RUN_DIR/figures/*.png.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing on success.")] = False,
) -> None:
    """Rebuild RUN_DIR/report.html (one self-contained file: open it in any browser, no network needed).

    Sections appear for the stages that ran (a scenario without radars or batteries has no tracking or
    engagement section); a folder missing a table its summary.json says was written is refused (exit 2).

    Examples:

      airpicture report runs/default-20260101-120000

      airpicture report runs/t --png      # also figures/map.png, timeseries.png, engagements.png, scan.png
    """
    from airpicture.report import FIGURES_DIR, build_report

    t0 = time.perf_counter()
    path = build_report(run_dir, png=png)
    if not quiet:
        out.print(f"[bold green]report[/] in {time.perf_counter() - t0:.2f} s -> [bold]{escape(str(path))}[/]")
        if png:
            out.print(f"  figures -> {run_dir / FIGURES_DIR}")


@app.command()
def sweep(
    spec: Annotated[str | None, typer.Argument(
        help="Built-in sweep name or path to a sweep .toml file (default: the built-in 'default').")] = None,
    out_dir: Annotated[str | None, typer.Option(
        "--out", help="Sweep folder (default: sweeps/<name>); running the same command again resumes it.")] = None,
    dask: Annotated[str | None, typer.Option(
        "--dask", help="Run on the Dask scheduler at ADDRESS (tcp://host:8786), or 'local' for a new LocalCluster.",
        metavar="ADDRESS|local")] = None,
    workers: Annotated[int | None, typer.Option(
        help="Local worker processes (default: all cores); also the size of --dask local.")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar or summary lines.")] = False,
    retry_failed: Annotated[bool, typer.Option(
        "--retry-failed", help="When resuming, also re-run the runs whose row recorded an error, replacing their "
                               "rows (without it, every run with a row counts as done, failed or not).")] = False,
    max_memory: MaxMemoryOption = None,
) -> None:
    """Run a Monte Carlo sweep: a grid of scenario overrides x seeds, in parallel, resumable.

    Writes sweep.parquet (one row per run) and saturation figures (HTML, PNG) into the sweep folder. A sweep
    file with a [sensitivity] table instead of a grid runs Saltelli samples of parameter ranges and writes
    Sobol' indices (sobol.parquet, a ranked figure, a summary in sweep.json).

    Examples:

      airpicture sweep                          # the built-in default sweep, all local cores

      airpicture sweep my_sweep.toml --out sweeps/s1 --workers 2

      airpicture sweep my_sweep.toml --dask tcp://scheduler:8786

      airpicture sweep my_sweep.toml --out sweeps/s1 --retry-failed   # resume, re-running failed runs

      airpicture sweep sensitivity --workers 2   # the built-in global sensitivity study (Sobol' indices)
    """
    from airpicture.sweep.command import sweep_command

    sweep_command(spec, out_dir, dask, workers, quiet, out, err, retry_failed, max_memory)


app.command()(track)


@app.command()
def explain(
    run_dir: Annotated[Path, typer.Argument(help="A results folder written by 'airpicture run'.")],
    threat: Annotated[str | None, typer.Option(
        "--threat", help="A target's id or name (its callsign, e.g. cruise-missiles-east-017; part of it will do).",
        metavar="ID|NAME")] = None,
    track_id: Annotated[int | None, typer.Option("--track", help="A track id.", metavar="ID")] = None,
) -> None:
    """Explain a run from its decision log: the battle's verdict, or the life of one threat or track.

    Without --threat or --track: which limit bound when, how many threats got through and why (the first cause
    of each leak). With --threat: that target's life in sentences with times -- first detection, tracks, waits
    and the resource that bound them, shots and their outcome, the end.

    Examples:

      airpicture explain runs/default-20260101-120000

      airpicture explain runs/t --threat cruise-missiles-east-017

      airpicture explain runs/t --threat 96

      airpicture explain runs/t --track 1022
    """
    from airpicture.explain.command import explain_command

    sys.stdout.write(explain_command(run_dir, threat, track_id))


@app.command()
def compare(
    run_a: Annotated[Path, typer.Argument(help="The first results folder (A).")],
    run_b: Annotated[Path, typer.Argument(help="The second results folder (B).")],
    out_file: Annotated[Path | None, typer.Option(
        "--out", help="The comparison page (default: compare-<A>-vs-<B>.html in the current folder).")] = None,
    overwrite: Annotated[bool, typer.Option(help="Replace --out if an earlier comparison wrote it.")] = False,
    json_out: Annotated[bool, typer.Option("--json", help="Print the figures as JSON instead of a table.")] = False,
) -> None:
    """Compare two runs for "what if" questions: scenario differences, key figures side by side with B - A, and
    the capacity time series overlaid (one HTML page; the table is printed too).

    Examples:

      airpicture compare runs/base runs/faster-reload

      airpicture compare runs/a runs/b --out a-vs-b.html
    """
    from airpicture.report.compare import compare_command

    sys.stdout.write(compare_command(run_a, run_b, out_file, overwrite, json_out))


def main() -> None:
    """Console entry point: exit codes as :mod:`airpicture.exits` documents them (0 only on success).

    Pydantic's plugin lookup (a scan of every installed package's entry points, ~0.07 s of each start) is turned off
    with pydantic's documented ``PYDANTIC_DISABLE_PLUGINS`` unless the environment sets that variable itself (any
    value, even empty, is kept): airpicture uses no pydantic plugin. The setting reaches the worker processes the
    command starts, which are airpicture's too."""
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    with exits.handled_signals(), warnings.catch_warnings():
        warnings.simplefilter("once", RenamedFieldWarning)  # one note per file and renamed field
        warnings.showwarning = _show_warning(warnings.showwarning)
        code = _main()
    if code:
        sys.exit(code)


def _show_warning(default: Any) -> Any:
    """``warnings.showwarning`` printing a :class:`RenamedFieldWarning` as a note, other warnings as ``default``."""

    def show(message: Warning | str, category: type[Warning], *args: Any, **kwargs: Any) -> None:
        if issubclass(category, RenamedFieldWarning):
            err.print(f"[yellow]note[/]: {escape(str(message))}", highlight=False, soft_wrap=True)
        else:
            default(message, category, *args, **kwargs)

    return show


def _main() -> int:
    try:
        code = app(standalone_mode=False)
    except InputError as exc:
        err.print(f"[bold red]error[/]: {escape(exc.render())}", highlight=False, soft_wrap=True)
        return exits.BAD_INPUT
    except typer.Exit as exc:
        code = exc.exit_code
    except (KeyboardInterrupt, typer.Abort):
        code = 130
    except MemoryError:
        err.print("[bold red]error[/]: ran out of memory; the work is larger than this machine can hold (see "
                  "'airpicture validate' for the estimate). Nothing was written", highlight=False, soft_wrap=True)
        return exits.FAILED
    except OSError as exc:
        if exc.errno not in _DISK_ERRORS:
            raise
        where = f" {exc.filename}" if exc.filename else ""
        err.print(f"[bold red]error[/]: cannot write{escape(where)}: {escape(exc.strerror or str(exc))}. Nothing "
                  "was written", highlight=False, soft_wrap=True)
        return exits.FAILED
    except Exception as exc:
        # usage errors (unknown option, bad value): click's exception types, whichever copy typer ships
        show, usage_code = getattr(exc, "show", None), getattr(exc, "exit_code", None)
        if callable(show) and isinstance(usage_code, int):
            show()
            return usage_code
        raise
    signum = exits.received()
    if signum is not None or code == 130:
        err.print(exits.interrupt_message(signum), highlight=False, soft_wrap=True)
        return exits.exit_code_for(signum if signum is not None else 2)
    return code if isinstance(code, int) else exits.OK


#: Errors of the disk rather than of the program: reported in one line.
_DISK_ERRORS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM, errno.EIO}


if __name__ == "__main__":
    main()
