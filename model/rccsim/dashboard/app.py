"""The dashboard: choose a region and levers, run a comparison, see and export the results.

    rccsim dashboard            # opens http://127.0.0.1:8050 in a browser

Built with Dash (Plotly): a well-kept framework whose callbacks run on the server, so that runs,
the results database and an uploaded SSDA903 return stay in this process (an upload is parsed in
memory and never written to disk), and whose pages are plain HTML forms a browser test can drive.
Runs are queued and run in worker processes, no more at once than the machine has cores; a run can
be cancelled. No child-level data is shown: the tables and figures are aggregates over LAs and
seeds, and counts of children under 5 are shown as "<5".
"""

from __future__ import annotations

from dash import Dash, dash_table, dcc, html

from rccsim.dashboard import callbacks
from rccsim.dashboard.choices import (
    LEVERS,
    MAP_METRICS,
    SERIES_LABELS,
    SETTING_LABELS,
    SETTINGS,
    form_fields,
)
from rccsim.dashboard.jobs import JobQueue
from rccsim.inputs.geography import load_geography
from rccsim.levers.base import LeverSettings
from rccsim.sim.describe import LEVER_TITLES, title
from rccsim.sim.scenario import load_scenario


def _regions() -> list[dict]:
    geo = load_geography()
    opts = [{"label": "Greater Manchester RCC (10 LAs)", "value": "GM"},
            {"label": "South East pathfinder region (SE)", "value": "SE"},
            {"label": "Greater Manchester inside England (all England simulated; slower)", "value": "GM in england"},
            {"label": "South East inside England (all England simulated; slower)", "value": "SE in england"},
            {"label": "England (153 LAs)", "value": "england"}]
    opts += [{"label": r, "value": r} for r in geo.region_names]
    return opts + [{"label": "A list of LAs (choose below)", "value": "custom"}]


def _field_inputs(key: str, cls: type[LeverSettings]) -> list:
    """Number inputs for a lever's settings, labelled, with their defaults."""
    out = []
    for name in form_fields(cls):
        f = cls.model_fields[name]
        ident = f"set-{key}-{name}"
        out.append(html.Div([
            html.Label(f"{SETTING_LABELS.get(f'{key}.{name}', name.replace('_', ' '))} [{name}]", htmlFor=ident,
                       className="setting-label"),
            dcc.Input(id=ident, type="number", value=f.default, debounce=True, className="setting"),
        ], className="setting-row"))
    return out


def layout() -> html.Div:
    geo = load_geography()
    las = [{"label": f"{n} ({c})", "value": c} for c, n in zip(geo.las.la_code, geo.las.la_name)]
    lever_blocks = []
    for cls in LEVERS:
        key = cls.key
        lever_blocks.append(html.Details([
            html.Summary(LEVER_TITLES[key]),
            html.Div(_field_inputs(key, SETTINGS[key])),
        ], className="lever-settings"))
    controls = html.Div([
        html.H2("Choose"),
        html.Label("Region", htmlFor="region"),
        dcc.Dropdown(id="region", options=_regions(), value="GM", clearable=False),
        html.Label("LAs (for a list of LAs)", htmlFor="las"),
        dcc.Dropdown(id="las", options=las, multi=True, placeholder="Type an LA's name"),
        html.Label("Start: the published state at 31 March of", htmlFor="start"),
        dcc.Dropdown(id="start", options=[{"label": str(y), "value": y} for y in range(2020, 2025)], value=2024,
                     clearable=False),
        html.Label("Years to run", htmlFor="years"),
        dcc.Input(id="years", type="number", min=1, max=20, step=1, value=10),
        html.Label("Seeds (replicate runs; 20 for a result to report)", htmlFor="seeds"),
        dcc.Input(id="seeds", type="number", min=2, max=100, step=1, value=10),
        html.Fieldset([
            html.Legend("Levers to compare with today's arrangements (each on its own)"),
            dcc.Checklist(id="levers", options=[{"label": LEVER_TITLES[c.key], "value": c.key} for c in LEVERS],
                          value=[], inputStyle={"marginRight": "0.4em"}),
        ]),
        html.Details([html.Summary("Lever settings"), *lever_blocks]),
        dcc.Checklist(id="uncertainty", options=[{
            "label": "Also run each seed under drawn assumptions (calibration/uncertainty.yaml): shows which results "
                     "rest on what we do not know; twice the runs", "value": "drawn"}],
            value=[], inputStyle={"marginRight": "0.4em"}),
        html.Label("Or a bundled scenario as well", htmlFor="bundled"),
        dcc.Dropdown(id="bundled", multi=True, options=[{"label": title(load_scenario(n)), "value": n}
                                                        for n in ("gm_pathfinder", "se_pathfinder", "all")]),
        dcc.Upload(id="upload", multiple=True, children=html.Button("Start an LA from its SSDA903 return (kept in memory)",
                                                                      id="upload-button", type="button"),
                   className="upload"),
        html.Div(id="upload-status", role="status"),
        html.Div([
            html.Button("Run", id="run", n_clicks=0, className="primary"),
            html.Button("Cancel", id="cancel", n_clicks=0),
        ], className="buttons"),
        html.Progress(id="progress", value="0", max="1", **{"aria-label": "progress of the runs"}),
        html.Div(id="status", role="status", **{"aria-live": "polite"}),
        html.H2("Open a stored study"),
        html.Label("Studies in the results database", htmlFor="stored"),
        dcc.Dropdown(id="stored", options=[], placeholder="(none found)"),
        html.Button("Open", id="open", n_clicks=0),
    ], className="controls")
    results = html.Div([
        dcc.Tabs(id="tabs", value="headline", children=[
            dcc.Tab(label="Headline", value="headline", children=[
                html.P(id="findings"),
                html.P("Read the differences between options, not the levels: the model's levels are checked against "
                       "published figures on the manual's Validation page, and some (distance from home LA by LA among "
                       "them) are not yet within tolerance.", className="caveat"),
                dash_table.DataTable(id="headline", columns=[], data=[],
                                     style_cell={"textAlign": "left", "whiteSpace": "normal", "height": "auto",
                                                 "fontFamily": "inherit", "minWidth": "7em", "maxWidth": "22em"},
                                     style_table={"overflowX": "auto"}),
                html.Ul(id="settings"),
            ]),
            dcc.Tab(label="Over time", value="series", children=[
                html.Label("Measure", htmlFor="series-metric"),
                dcc.Dropdown(id="series-metric", value="cost_per_child_week_gbp", clearable=False,
                             options=[{"label": v, "value": k} for k, v in SERIES_LABELS.items()]),
                dcc.Graph(id="series-graph"),
            ]),
            dcc.Tab(label="Map", value="map", children=[
                html.Label("Measure", htmlFor="map-metric"),
                dcc.Dropdown(id="map-metric", value="share_over_20_miles", clearable=False,
                             options=[{"label": v, "value": k} for k, v in MAP_METRICS.items()]),
                html.Label("Scenario (difference from baseline; baseline: its level)", htmlFor="map-scenario"),
                dcc.Dropdown(id="map-scenario", options=[], value="baseline", clearable=False),
                dcc.Graph(id="map-graph"),
            ]),
            dcc.Tab(label="By LA", value="by-la", children=[
                dash_table.DataTable(id="by-la", columns=[], data=[], sort_action="native",
                                     style_table={"overflowX": "auto"}),
            ]),
            dcc.Tab(label="Why", value="why", children=[html.Div(id="why")]),
            dcc.Tab(label="Sufficiency", value="sufficiency", children=[html.P(
                "The regional sufficiency statement (need by placement type against supply) comes with the "
                "sufficiency work of the levers' issues; the by-LA table and the headline's children in emergency "
                "settings show the gaps today.")]),
        ]),
        html.Div([
            html.Button("Scenario (YAML)", id="export-yaml"), html.Button("Tables (CSV)", id="export-csv"),
            html.Button("Figure (PNG)", id="export-png"), html.Button("Board report (PDF)", id="export-pdf"),
            dcc.Download(id="download"),
        ], className="buttons"),
    ], className="results")
    return html.Div([
        html.H1("rccsim: regional care options"),
        html.P("Compare what Regional Care Co-operative levers do to cost, distance from home and stability, "
               "against today's arrangements, on the same random seeds."),
        dcc.Store(id="job", storage_type="session"),  # a reload finds its study again
        dcc.Store(id="shown", storage_type="session"),
        dcc.Interval(id="tick", interval=700, disabled=True),
        html.Div([controls, results], className="page"),
    ])


CSS = """
body{font-family:Helvetica,Arial,sans-serif;margin:1em 2em;color:#222}
.page{display:flex;gap:2em;align-items:flex-start}
.controls{flex:0 0 22em}.results{flex:1;min-width:0}
.controls label{display:block;margin-top:.6em;font-weight:bold;font-size:.9em}
.setting-label{font-weight:normal!important}
.controls fieldset label{display:flex;align-items:center;font-weight:normal;margin-top:.3em}
.caveat{font-size:.85em;color:#555}
.buttons button{margin:.6em .6em 0 0;padding:.4em 1em}
button.primary{font-weight:bold}
progress{width:100%;margin-top:.6em}
button:focus,input:focus{outline:3px solid #1f77b4}
"""


def create_app(queue: JobQueue | None = None, url: str | None = None) -> Dash:
    """The dashboard's Dash app (its runs go to ``queue``; stored studies come from ``url``)."""
    app = Dash(__name__, title="rccsim dashboard")
    app.index_string = app.index_string.replace("{%css%}", "{%css%}<style>" + CSS + "</style>")
    app.layout = layout
    callbacks.register(app, queue or JobQueue(), url)
    return app
