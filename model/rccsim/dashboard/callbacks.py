"""What the dashboard does when a user acts: check the choices, queue the runs, show and export."""

from __future__ import annotations

import base64
import io
import json
import shlex

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import yaml
from dash import Input, Output, State, ctx, html, no_update

from rccsim.base.errors import InputError
from rccsim.base.files import csv_text
from rccsim.dashboard.choices import LEVERS, MAP_METRICS, SERIES_LABELS, SETTINGS, form_fields
from rccsim.dashboard.jobs import JobQueue
from rccsim.inputs.geography import load_geography
from rccsim.io import ssda903
from rccsim.report import tables
from rccsim.report.fromdb import study_from_database
from rccsim.report.pdf import board_pdf
from rccsim.sim import formats
from rccsim.sim.describe import settings_in_words, title
from rccsim.sim.formats import hide_small_counts
from rccsim.sim.scenario import load_scenario, parse_scenario
from rccsim.studies.compare import figure_differences
from rccsim.studies.study import StudyRequest, StudyResult

MAX_SEEDS, MAX_YEARS = 100, 20
_UPLOADS: dict[str, object] = {}  # SSDA903 returns uploaded in this process, in memory only


def scenarios_from_form(levers: list[str], values: dict, bundled: list[str] | None) -> list:
    """The baseline, one scenario per chosen lever (its settings checked as a scenario file's are),
    and the bundled scenarios chosen."""
    out = [load_scenario("baseline")]
    for key in levers or []:
        settings = {name: values.get(f"set-{key}-{name}") for name in form_fields(SETTINGS[key])}
        settings = {k: v for k, v in settings.items() if v is not None}
        out.append(parse_scenario({"name": key, "levers": {key: settings}}, f"settings of {key}"))
    for name in bundled or []:
        out.append(load_scenario(name))
    names = [s.name for s in out]
    if len(set(names)) != len(names):
        raise InputError(f"a scenario is chosen twice: {', '.join(names)}")
    return out


def request_from_form(region, las, start, years, seeds, levers, values, bundled, upload_key,
                      drawn: bool = False) -> StudyRequest:
    """The study a user asked for, or one line saying what is wrong (as the command line says it)."""
    if region == "custom":
        if not las:
            raise InputError("choose at least one LA for a list of LAs")
        region = ",".join(las)
    load_geography().resolve_region(region)
    if years is None or not float(years).is_integer() or not 1 <= int(years) <= MAX_YEARS:
        raise InputError(f"years to run must be a whole number from 1 to {MAX_YEARS}")
    if seeds is None or not float(seeds).is_integer() or not 2 <= int(seeds) <= MAX_SEEDS:
        raise InputError(f"seeds must be a whole number from 2 to {MAX_SEEDS} (an interval needs two)")
    scen = scenarios_from_form(levers, values, bundled)
    if len(scen) < 2:
        raise InputError("tick at least one lever (or a bundled scenario) to compare with today's arrangements")
    pop = _UPLOADS.get(upload_key) if upload_key else None
    return StudyRequest(region=region, scenarios=scen, seeds=list(range(1, int(seeds) + 1)), years=int(years),
                        start_year=int(start), start_population=pop, uncertainty=bool(drawn))


def read_upload(contents: list[str], names: list[str], start_year: int):
    """An uploaded SSDA903 return, read and checked in memory: its children at the start date."""
    import datetime as dt

    files = [ssda903.MemoryFile(n, base64.b64decode(c.split(",", 1)[1])) for c, n in zip(contents, names)]
    ret = ssda903.read(files)
    pop, _ = ssda903.population_at(ret, dt.date(start_year, 3, 31))
    if pop.empty:
        raise InputError(f"no child in the return is looked after on 31 March {start_year}")
    return pop


def _empty() -> go.Figure:
    fig = go.Figure()
    fig.update_layout(xaxis={"visible": False}, yaxis={"visible": False}, annotations=[{
        "text": "Run a comparison (or open a stored study) to see it here", "showarrow": False, "font": {"size": 14}}])
    return fig


def _series_figure(res: StudyResult, metric: str, names: dict) -> go.Figure:
    df = res.series[res.series.metric == metric]
    fig = go.Figure()
    start = res.meta["start_year"]
    for s in res.meta["scenarios"]:
        g = df[df.scenario == s].groupby("year").value
        mean, sd, n = g.mean(), g.std(ddof=1).fillna(0.0), g.count()
        half = 1.96 * sd / np.sqrt(n)
        x = start + mean.index.to_numpy()
        small = metric == "children_waiting_end"  # counts of children under 5 are not shown
        y = hide_small_counts(mean.to_numpy()) if small else mean.to_numpy()
        fig.add_trace(go.Scatter(x=x, y=y, mode="lines+markers", name=names[s]))
        if s == "baseline" and not small:
            fig.add_trace(go.Scatter(x=np.r_[x, x[::-1]], y=np.r_[(mean + half).to_numpy(), (mean - half).to_numpy()[::-1]],
                                     fill="toself", line={"width": 0}, opacity=0.25, name="baseline 95% band",
                                     hoverinfo="skip"))
    fig.update_layout(title=SERIES_LABELS[metric], xaxis_title="year ending 31 March", margin={"t": 40, "l": 40, "r": 10},
                      legend={"orientation": "h", "y": -0.2})
    return fig


def _map_figure(res: StudyResult, metric: str, scenario: str) -> go.Figure:
    geo = load_geography()
    las = geo.las.set_index("la_code")
    d = res.by_la[res.by_la.metric == metric]
    base = d[d.scenario == "baseline"].groupby("la_code").value.mean()
    if scenario == "baseline":
        val, label = base, MAP_METRICS[metric]
    else:
        val = d[d.scenario == scenario].groupby("la_code").value.mean() - base
        label = f"{MAP_METRICS[metric]}: difference from baseline"
    scale = 100.0 if metric.startswith("share") else 1.0
    diff = scenario != "baseline"
    unit = ("points" if diff else "%") if scale == 100 else ("children" if metric == "children_in_care_end" else "")
    text = [f"{las.at[c, 'la_name']}: {v * scale:+.1f} {unit}" if diff else f"{las.at[c, 'la_name']}: {v * scale:.1f} {unit}"
            for c, v in val.items()]
    # LAs as points on their longitude and latitude (no base map: nothing is fetched from the web)
    lon, lat = las.loc[val.index, "lon"].to_numpy(), las.loc[val.index, "lat"].to_numpy()
    few = len(val) <= 25  # names beside the points of a region; England's 150 only on hover
    fig = go.Figure(go.Scatter(x=lon, y=lat, hovertext=text, mode="markers+text" if few else "markers", hoverinfo="text",
                               text=[las.at[c, "la_name"] for c in val.index] if few else None,
                               textposition="top center", textfont={"size": 10},
                               marker={"size": 14, "color": val.to_numpy() * scale, "showscale": True,
                                       "colorscale": "RdBu_r" if diff else "Viridis", "line": {"width": 0.5, "color": "#333"},
                                       **({"cmid": 0.0} if diff else {}), "colorbar": {"title": unit}}))
    fig.update_xaxes(title="longitude", showgrid=False, zeroline=False)
    fig.update_yaxes(title="latitude", showgrid=False, zeroline=False, scaleanchor="x",
                     scaleratio=1 / max(np.cos(np.radians(float(np.mean(lat)) if len(lat) else 53.0)), 0.1))
    fig.update_layout(title=label, margin={"t": 40, "l": 40, "r": 10, "b": 40}, plot_bgcolor="#f7f7f7")
    return fig


def _by_la_table(res: StudyResult) -> tuple[list[dict], list[dict]]:
    geo = load_geography()
    names = dict(zip(geo.las.la_code, geo.las.la_name))
    d = res.by_la[res.by_la.scenario == "baseline"].pivot_table(index="la_code", columns="metric", values="value", aggfunc="mean")
    rows = []
    for code, r in d.iterrows():
        rows.append({"LA": names.get(code, code), "code": code,
                     "children in care (end)": tables.level(r["children_in_care_end"], "count", count=True),
                     "% outside LA": f"{100 * r['share_out_of_la']:.1f}", "% over 20 miles": f"{100 * r['share_over_20_miles']:.1f}",
                     "% 3+ placements": f"{100 * r['share_3plus_placements']:.1f}"})
    cols = [{"name": c, "id": c} for c in rows[0]] if rows else []
    return rows, cols


def register(app, queue: JobQueue, url: str | None) -> None:
    results: dict[str, StudyResult] = {}

    @app.callback(Output("upload-status", "children"), Output("shown", "data", allow_duplicate=True),
                  Input("upload", "contents"), State("upload", "filename"), State("start", "value"),
                  prevent_initial_call=True)
    def upload(contents, names, start):
        if not contents:
            return no_update, no_update
        try:
            pop = read_upload(contents, names, int(start))
        except InputError as exc:
            return f"The return was not read: {exc}", no_update
        key = f"upload-{len(_UPLOADS) + 1}"
        _UPLOADS[key] = pop
        n_la = pop["la"].nunique()
        return (f"Return read in memory: {len(pop):,} children open at 31 March {start} in {n_la} LA"
                f"{'s' if n_la != 1 else ''}; the next run starts them from it."), {"upload": key}

    @app.callback(Output("job", "data"), Output("status", "children"), Output("tick", "disabled"),
                  Input("run", "n_clicks"), State("region", "value"), State("las", "value"), State("start", "value"),
                  State("years", "value"), State("seeds", "value"), State("levers", "value"), State("bundled", "value"),
                  State("shown", "data"), State("uncertainty", "value"),
                  *[State(f"set-{c.key}-{n}", "value") for c in LEVERS for n in form_fields(SETTINGS[c.key])],
                  prevent_initial_call=True)
    def run(_, region, las, start, years, seeds, levers, bundled, shown, drawn, *settings):
        ids = [f"set-{c.key}-{n}" for c in LEVERS for n in form_fields(SETTINGS[c.key])]
        try:
            req = request_from_form(region, las, start, years, seeds, levers, dict(zip(ids, settings)), bundled,
                                    (shown or {}).get("upload"), drawn="drawn" in (drawn or []))
        except InputError as exc:
            return no_update, f"Not run: {exc}", True
        job = queue.submit(req)
        ahead = queue.queued_before(job.id)
        wait = f" ({ahead} stud{'ies' if ahead != 1 else 'y'} ahead in the queue)" if ahead else ""
        twice = " x 2 (as set and under drawn assumptions)" if req.uncertainty else ""
        return {"id": job.id}, f"Queued: {len(req.scenarios)} scenarios x {len(req.seeds)} seeds{twice}{wait}", False

    @app.callback(Output("status", "children", allow_duplicate=True), Input("cancel", "n_clicks"), State("job", "data"),
                  prevent_initial_call=True)
    def cancel(_, job):
        if job:
            queue.cancel(job["id"])
            return "Cancelling..."
        return "Nothing to cancel"

    @app.callback(Output("progress", "value"), Output("progress", "max"), Output("status", "children", allow_duplicate=True),
                  Output("tick", "disabled", allow_duplicate=True), Output("shown", "data"),
                  Input("tick", "n_intervals"), State("job", "data"), State("shown", "data"), prevent_initial_call=True)
    def poll(_, job, shown):
        if not job or job["id"] not in queue.jobs:
            return no_update, no_update, no_update, True, no_update
        j = queue.jobs[job["id"]]
        if j.status == "done":
            results[j.id] = j.result
            return str(j.total), str(j.total), f"Done: {j.total} runs", True, {**(shown or {}), "result": j.id}
        if j.status in ("cancelled", "failed"):
            msg = "Cancelled" if j.status == "cancelled" else f"Failed: {j.error}"
            return "0", "1", msg, True, no_update
        state = "Running" if j.status == "running" else "Queued"
        return str(j.done), str(max(j.total, 1)), f"{state}: {j.done} of {j.total} runs", False, no_update

    @app.callback(Output("tick", "disabled", allow_duplicate=True), Input("job", "data"), State("shown", "data"),
                  prevent_initial_call="initial_duplicate")
    def resume(job, shown):
        """After a reload, go on watching a study that is queued or running, or show one that finished."""
        if not job or job["id"] not in queue.jobs:
            return True
        j = queue.jobs[job["id"]]
        if j.status in ("queued", "running"):
            return False
        return not (j.status == "done" and (shown or {}).get("result") != j.id)

    def _result(shown) -> StudyResult | None:
        key = (shown or {}).get("result")
        if key in results:
            return results[key]
        return None

    @app.callback(Output("headline", "data"), Output("headline", "columns"), Output("findings", "children"),
                  Output("settings", "children"), Output("why", "children"), Output("by-la", "data"),
                  Output("by-la", "columns"), Output("map-scenario", "options"), Input("shown", "data"))
    def show(shown):
        res = _result(shown)
        if res is None:
            return [], [], "Choose a region and levers, then Run.", [], [], [], [], [{"label": "baseline", "value": "baseline"}]
        names = {s.name: title(s) for s in res.request.scenarios}
        scen = tables.order(res.summary, res.meta["scenarios"])
        rows = tables.headline_rows(res.summary, scen, names)
        cols = [{"name": c, "id": c} for c in rows[0]]
        findings = " ".join(tables.findings(res.summary, scen, names, len(res.meta["seeds"])))
        settings = [html.Li(f"{names[s.name]}: " + "; ".join(settings_in_words(s))) for s in res.request.scenarios]
        why = [html.Div([html.H3(names[s]), html.Ul([html.Li(x) for x in res.explanations[s]])]) for s in scen if s != "baseline"]
        la_rows, la_cols = _by_la_table(res)
        opts = [{"label": names[s], "value": s} for s in scen]
        return rows, cols, findings, settings, why, la_rows, la_cols, opts

    @app.callback(Output("series-graph", "figure"), Input("shown", "data"), Input("series-metric", "value"))
    def series(shown, metric):
        res = _result(shown)
        if res is None:
            return _empty()
        return _series_figure(res, metric, {s.name: title(s) for s in res.request.scenarios})

    @app.callback(Output("map-graph", "figure"), Input("shown", "data"), Input("map-metric", "value"),
                  Input("map-scenario", "value"))
    def mapping(shown, metric, scenario):
        res = _result(shown)
        if res is None:
            return _empty()
        return _map_figure(res, metric, scenario if scenario in res.meta["scenarios"] else "baseline")

    @app.callback(Output("stored", "options"), Input("tabs", "value"))
    def stored(_):
        return stored_studies(url)

    @app.callback(Output("shown", "data", allow_duplicate=True), Output("status", "children", allow_duplicate=True),
                  Input("open", "n_clicks"), State("stored", "value"), State("shown", "data"), prevent_initial_call=True)
    def open_stored(_, plan_path, shown):
        if not plan_path:
            return no_update, "Choose a stored study first"
        try:
            res = study_from_database(url, plan_path)
        except InputError as exc:
            return no_update, f"Not opened: {exc}"
        results[plan_path] = res
        return {**(shown or {}), "result": plan_path}, f"Opened {res.meta['study']}: {len(res.records)} runs"

    @app.callback(Output("download", "data"), Output("status", "children", allow_duplicate=True),
                  Input("export-yaml", "n_clicks"), Input("export-csv", "n_clicks"),
                  Input("export-png", "n_clicks"), Input("export-pdf", "n_clicks"), State("shown", "data"),
                  prevent_initial_call=True)
    def export(_a, _b, _c, _d, shown):
        res = _result(shown)
        if res is None:
            return no_update, "Nothing to export yet: run a comparison or open a stored study first"
        return _export(res, ctx.triggered_id), no_update

    def _export(res: StudyResult, what: str):
        if what == "export-yaml":
            opts = [s for s in res.request.scenarios if s.name != "baseline"]
            docs = [{"name": s.name, "title": title(s),
                     "levers": {k: getattr(s.levers, k).as_scenario() for k in s.levers.active()},
                     **({"parameters": dict(s.parameters)} if s.parameters else {})} for s in opts]
            m = res.meta
            head = (f"# {len(docs)} option{'s' if len(docs) != 1 else ''} exported from the rccsim dashboard: "
                    f"{m['region']}, {m['years']} years from 31 March {m['start_year']}, seeds 1-{len(m['seeds'])}.\n"
                    f"# Run one again: save it as a file of its own, then\n#   rccsim compare --region {shlex.quote(m['region'])} "
                    f"--scenarios FILE.yaml --seeds {len(m['seeds'])} --years {m['years']} --start {m['start_year']}\n")
            return {"content": head + yaml.safe_dump_all(docs, sort_keys=False, allow_unicode=True),
                    "filename": "scenarios.yaml"}
        if what == "export-csv":
            names = {s.name: title(s) for s in res.request.scenarios}
            return {"content": csv_text(headline_frame(res, names)), "filename": "comparison.csv"}
        if what == "export-png":
            buf = io.BytesIO()
            order = tables.order(res.summary, res.meta["scenarios"])
            figure_differences(res.summary, order, buf, {s.name: title(s) for s in res.request.scenarios})
            return {"content": base64.b64encode(buf.getvalue()).decode(), "filename": "differences.png", "base64": True}
        if what == "export-pdf":
            pdf = board_pdf(res)
            return {"content": base64.b64encode(pdf).decode(), "filename": "board-report.pdf", "base64": True}
        return no_update


def headline_frame(res: StudyResult, names: dict) -> pd.DataFrame:
    """The headline as a table to paste: option, measure, unit, level, difference and its interval,
    in the reports' formats; counts of children under 5 and differences involving one withheld."""
    scale = {"money": 1e-6, "share": 100.0}  # the numbers' units: £m, percentage points, else as shown
    rows = []
    for s in tables.order(res.summary, res.meta["scenarios"]):
        for key, label, kind, count in formats.HEADLINE:
            m = res.summary[s]["metrics"][key]
            row = {"option": names.get(s, s), "measure": label, "unit": formats.UNITS[kind],
                   "level": formats.level(m["mean"], kind, count), "difference from baseline [95% interval]": "",
                   "difference (number)": None, "interval low": None, "interval high": None,
                   "unit of the numbers": {"money": "£m", "share": "percentage points"}.get(kind, formats.UNITS[kind])}
            if s != "baseline":
                if formats.withheld(res.summary, s, key, count):
                    row["difference from baseline [95% interval]"] = "withheld (fewer than 5 children)"
                else:
                    row["difference from baseline [95% interval]"] = formats.difference(m, kind)
                    k = scale.get(kind, 1.0)
                    row.update({"difference (number)": round(m["diff"] * k, 6), "interval low": round(m["lo"] * k, 6),
                                "interval high": round(m["hi"] * k, 6)})
            rows.append(row)
    return pd.DataFrame(rows)


def stored_studies(url: str | None) -> list[dict]:
    """Comparison studies whose plans are under results/studies and whose runs are in the database."""
    from pathlib import Path

    if not url:
        return []
    out = []
    for plan in sorted(Path("results/studies").glob("*/plan.json")):
        try:
            doc = json.loads(plan.read_text())
        except (OSError, ValueError):
            continue
        if doc.get("kind") == "compare":
            out.append({"label": f"{doc['study']} ({doc['region']}, {len(doc['seeds'])} seeds, {doc['years']} years)",
                        "value": str(plan)})
    return out
