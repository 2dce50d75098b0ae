"""The ``airpicture`` command line (typer).

User mistakes raise :class:`~airpicture.errors.InputError`; ``main`` prints its message and exits with code 2,
without a traceback and without leaving partial results behind.
"""

from __future__ import annotations

import json
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from airpicture.errors import InputError
from airpicture.io import default_run_dir
from airpicture.scenario import (
    Scenario,
    builtin_names,
    builtin_path,
    load_scenario,
    read_toml,
    resolve_scenario_path,
)
from airpicture.tracking.cli import track

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


def _load(ref: str | None, seed: int | None = None) -> tuple[Scenario, str]:
    path = resolve_scenario_path(ref)
    scenario = load_scenario(path)
    if seed is not None:
        if seed < 0:
            raise InputError("command line", "--seed must be a non-negative integer")
        scenario = scenario.model_copy(update={"seed": seed})
    return scenario, str(path)


@app.command()
def run(
    scenario: ScenarioArg = None,
    out_dir: Annotated[
        Path | None, typer.Option("--out", help="Results folder (default: runs/<scenario>-<time>).")
    ] = None,
    seed: Annotated[int | None, typer.Option(help="Override the scenario's seed.")] = None,
    overwrite: Annotated[bool, typer.Option(help="Replace an existing --out folder.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar or summary lines.")] = False,
    json_out: Annotated[bool, typer.Option("--json", help="Print summary.json to stdout (implies --quiet).")] = False,
    no_report: Annotated[bool, typer.Option("--no-report", help="Skip report.html (faster).")] = False,
) -> None:
    """Run a scenario end to end and write a results folder (tables, summary.json, report.html).

    Examples:

      airpicture run                       # the built-in default scenario

      airpicture run teaching --out runs/t # a built-in scenario into a chosen folder

      airpicture run my.toml --seed 7 --json
    """
    from airpicture.engine import run_scenario, write_run
    from airpicture.progress import reporter

    sc, source = _load(scenario, seed)
    quiet = quiet or json_out
    target = out_dir or default_run_dir("runs", sc.name, datetime.now().strftime("%Y%m%d-%H%M%S"))
    if target.exists() and not overwrite and (not target.is_dir() or any(target.iterdir())):
        raise InputError(str(target), "already exists and is not empty; choose another --out or pass --overwrite")
    t0 = time.perf_counter()
    with reporter(quiet, err) as progress:
        result = run_scenario(sc, progress, source)
        write_run(result, target, overwrite=overwrite, report=not no_report, progress=progress)
    elapsed = time.perf_counter() - t0
    if json_out:
        sys.stdout.write(json.dumps(result.summary, indent=2) + "\n")
        return
    if not quiet:
        _print_headline(result.summary, target, elapsed)


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
    scenario: Annotated[str, typer.Argument(help="Scenario .toml file or built-in name.")],
) -> None:
    """Check a scenario file and print what it contains.

    Example: airpicture validate my_scenario.toml
    """
    sc, source = _load(scenario)
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


@app.command()
def scenarios() -> None:
    """List the built-in scenarios.

    Example: airpicture scenarios
    """
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
    out_dir: Annotated[Path | None, typer.Option(
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
) -> None:
    """Run a Monte Carlo sweep: a grid of scenario overrides x seeds, in parallel, resumable.

    Writes sweep.parquet (one row per run) and saturation figures (HTML, PNG) into the sweep folder.

    Examples:

      airpicture sweep                          # the built-in default sweep, all local cores

      airpicture sweep my_sweep.toml --out sweeps/s1 --workers 2

      airpicture sweep my_sweep.toml --dask tcp://scheduler:8786

      airpicture sweep my_sweep.toml --out sweeps/s1 --retry-failed   # resume, re-running failed runs
    """
    from airpicture.sweep.command import sweep_command

    sweep_command(spec, out_dir, dask, workers, quiet, out, err, retry_failed)


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
    """Console entry point: run the app, turning input errors into a message and exit code 2."""
    try:
        app(standalone_mode=False)
    except InputError as exc:
        err.print(f"[bold red]error[/]: {escape(exc.render())}", highlight=False, soft_wrap=True)
        sys.exit(2)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        err.print("aborted")
        sys.exit(130)
    except Exception as exc:
        # usage errors (unknown option, bad value): click's exception types, whichever copy typer ships
        show, code = getattr(exc, "show", None), getattr(exc, "exit_code", None)
        if callable(show) and isinstance(code, int):
            show()
            sys.exit(code)
        raise


if __name__ == "__main__":
    main()
