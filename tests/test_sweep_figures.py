"""Saturation figures: the plotted statistics against independent computations, and the files written."""

from __future__ import annotations

import math

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from scipy import stats

from airpicture.sweep import load_sweep
from airpicture.sweep.figures import choose_metric, model_note, plotly_figure, sweep_curves, write_figures
from tests.sweep_support import write_sweep

REPS = 8


def erlang_b_definition(c: int, a: float) -> float:
    terms = [a**k / math.factorial(k) for k in range(c + 1)]
    return terms[-1] / sum(terms)


@pytest.fixture
def plan_and_table(tmp_path):
    """The tiny sweep's plan with made-up engagement rows (8 replications per grid point, one failed run)."""
    plan = load_sweep(write_sweep(tmp_path, seeds_per_point=REPS))
    rng = np.random.default_rng(2024)
    rows = []
    for gp in plan.points:
        count = gp.values["raids[0].count"]
        for rep in range(REPS):
            arrivals = int(rng.poisson(4 * count)) + 1
            p10 = float(rng.uniform(10, 20))
            timed = gp.index != 0  # grid point 0: rows without arrival times (a folder begun by an older version)
            rows.append({
                "point": gp.index, "replication": rep,
                "engagement.leakers": int(rng.binomial(count, 0.2)),
                "engagement.threat_arrivals": arrivals,
                "engagement.blocked_no_channel": int(rng.binomial(arrivals, 0.1)),
                "engagement.observation_s": 60.0,
                "engagement.arrival_p10_s": p10 if timed else None,
                "engagement.arrival_p90_s": p10 + float(rng.uniform(5, 30)) if timed else None,
                "engagement.mean_channel_holding_s": float(rng.uniform(20, 40)),
                "engagement.threats": count + 1,
                "error": "Boom" if (gp.index, rep) == (2, 5) else None,
            })
    return plan, pa.Table.from_pylist(rows)


def test_curves_match_independent_statistics(plan_and_table):
    plan, table = plan_and_table
    curves = sweep_curves(plan, table, "engagement.leakers")
    assert [c.label for c in curves] == ["battery 'battery' doctrine = salvo",
                                         "battery 'battery' doctrine = shoot_look_shoot"]
    rows = table.to_pylist()
    battery = plan.points[0].scenario.batteries[0]
    for curve in curves:
        assert [p.x for p in curve.points] == [1, 2, 4]
        for pt in curve.points:
            mine = [r for r in rows if r["point"] == pt.point and r["error"] is None]
            y = np.array([r["engagement.leakers"] for r in mine], float)
            assert pt.ok == len(mine) and pt.failed == (1 if pt.point == 2 else 0)
            assert pt.mean.estimate == pytest.approx(y.mean())
            if np.ptp(y) > 0:
                lo, hi = stats.t.interval(0.95, len(y) - 1, loc=y.mean(), scale=stats.sem(y))
            else:  # every replication equal: a zero-width interval (scipy returns NaN for zero scale)
                lo = hi = y[0]
            assert (pt.mean.low, pt.mean.high) == pytest.approx((lo, hi))
            k = int(np.sum(y > 0))
            ci = stats.binomtest(k, len(y)).proportion_ci(0.95, method="wilson")
            assert pt.p_positive == pytest.approx((k / len(y), ci.low, ci.high))
            # Erlang B from the pooled arrival rate and the engagement-weighted mean holding time; the rate over
            # the period the threats arrive: the central 80% of n arrivals span 0.8 (n - 1) / (n + 1) of it
            arr = np.array([r["engagement.threat_arrivals"] for r in mine], float)
            blk = np.array([r["engagement.blocked_no_channel"] for r in mine], float)
            hold = np.array([r["engagement.mean_channel_holding_s"] for r in mine])
            if pt.point == 0:
                rate = arr.sum() / (60.0 * len(mine))  # no arrival times: over the whole run
            else:
                spans = [(r["engagement.arrival_p90_s"] - r["engagement.arrival_p10_s"]) / (0.8 * (n - 1) / (n + 1))
                         for r, n in zip(mine, arr, strict=True) if n >= 2]
                rate = sum(n for n in arr if n >= 2) / sum(spans)
            assert pt.analytic.rate_over_arrivals == (pt.point != 0)
            assert pt.analytic.arrival_rate_per_s == pytest.approx(rate)
            load = rate * np.sum(hold * (arr - blk)) / np.sum(arr - blk)
            assert pt.analytic.offered_load == pytest.approx(load)
            assert pt.analytic.erlang_blocking == pytest.approx(erlang_b_definition(battery.fire_channels, load))
            assert pt.blocking.estimate == pytest.approx(np.mean(blk / arr))
            gp = plan.points[pt.point]
            b = gp.scenario.batteries[0]
            shots = b.salvo_size * (b.max_shots if b.doctrine == "shoot_look_shoot" else 1)
            mix = {"cruise_missile": gp.values["raids[0].count"], "drone": 1}
            q = sum(n * (1 - b.pk[kind]) ** shots for kind, n in mix.items()) / sum(mix.values())
            assert pt.analytic.p_leak_engaged == pytest.approx(q)
            p = pt.analytic.erlang_blocking + (1 - pt.analytic.erlang_blocking) * q
            n = gp.values["raids[0].count"] + 1
            assert pt.analytic.expected_leakers == pytest.approx(n * p)
            assert pt.analytic.p_any_leak == pytest.approx(1 - (1 - p) ** n)


def test_caption_says_where_the_arrival_rate_comes_from(plan_and_table):
    plan, table = plan_and_table
    curves = sweep_curves(plan, table, "engagement.leakers")
    note = model_note(curves)
    assert "over the period the threats arrive" in note and "lower bound" in note  # grid point 0 has no times
    timed = table.filter(pc.not_equal(table["point"], 0))
    assert "lower bound" not in model_note(sweep_curves(plan, timed, "engagement.leakers"))
    title = plotly_figure(plan, curves, "engagement.leakers").layout.title.text
    assert "period the threats arrive" in title.replace("<br>", " ").replace("</sup>", "").replace("<sup>", "")


def test_plotly_traces_carry_the_curves(plan_and_table):
    plan, table = plan_and_table
    curves = sweep_curves(plan, table, "engagement.leakers")
    fig = plotly_figure(plan, curves, "engagement.leakers")
    solid = [t for t in fig.data if t.mode == "lines+markers"]
    dashed = [t for t in fig.data if t.mode == "lines"]
    assert len(solid) == 2 * 3  # two curves x three panels (mean, P(leak), blocking)
    assert len(dashed) == 2 * 3
    first = solid[0]
    assert list(first.x) == [1, 2, 4]
    assert list(first.y) == pytest.approx([p.mean.estimate for p in curves[0].points])


def test_metric_choice_falls_back_when_engagement_is_absent(plan_and_table):
    _, table = plan_and_table
    assert choose_metric(table, None) == "engagement.leakers"
    assert choose_metric(table.drop_columns(["engagement.leakers"]), None) is None
    bare = pa.table({"targets.threats_reaching_asset_unopposed": [1, 0]})
    assert choose_metric(bare, None) == "targets.threats_reaching_asset_unopposed"
    assert choose_metric(table, "engagement.threats") == "engagement.threats"
    assert choose_metric(table, "no.such.column") is None


def test_files_are_self_contained_html_and_png(plan_and_table, tmp_path):
    plan, table = plan_and_table
    paths = write_figures(plan, table, tmp_path / "figures")
    html, png = paths
    text = html.read_text(encoding="utf-8")
    assert "Plotly.newPlot" in text and '<script src="http' not in text
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not list((tmp_path / "figures").glob(".*"))


def test_no_figures_when_every_run_failed(plan_and_table, tmp_path):
    plan, table = plan_and_table
    failed = table.set_column(table.schema.get_field_index("error"), "error",
                              pa.array(["x"] * len(table), pa.string()))
    assert write_figures(plan, failed, tmp_path / "figures") == []


def test_axes_show_the_grid_values_and_say_what_was_swept(plan_and_table):
    """Ticks at the swept values (not plotly's log ticks '2 3 4 5 ... 10'), a title naming the field in words and
    the entry it belongs to, the legend below the panels, no fixed width (the page fits narrow screens)."""
    from airpicture.sweep.figures import field_label

    plan, table = plan_and_table
    fig = plotly_figure(plan, sweep_curves(plan, table, "engagement.leakers"), "engagement.leakers")
    values = sorted({gp.values[plan.x_path] for gp in plan.points})
    for axis in (fig.layout.xaxis, fig.layout.xaxis2, fig.layout.xaxis3):
        assert list(axis.tickvals) == values and list(axis.ticktext) == [str(v) for v in values]
        assert plan.x_path in axis.title.text.replace("<br>", " ")
    long, short = field_label(plan, "raids[0].count")
    assert long.startswith("Number of threats") and "raid 'cruise'" in long and long.endswith("(raids[0].count)")
    assert short == "raid 'cruise' count"
    assert field_label(plan, "batteries[0].pk.aircraft")[1] == "battery 'battery' aircraft"
    assert fig.layout.legend.y < 0 and fig.layout.legend.yanchor == "top"
    assert fig.layout.width is None
