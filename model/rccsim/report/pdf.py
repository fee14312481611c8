"""The board-paper report as an A4 PDF, drawn with matplotlib's PDF backend.

The same findings, headline table (options in plain words, baseline first then by effect,
differences with 95% intervals, shares in points, money as "+£9.5m [+£0.8m, +£18.2m]", counts
under 5 suppressed), figures and provenance as the HTML report; the model's parameters go into an
appendix. It needs no browser and no system library: matplotlib writes the PDF itself.
"""

from __future__ import annotations

import io
import textwrap

import matplotlib

matplotlib.use("Agg")  # no screen: the figures are drawn to files
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.backends.backend_pdf import PdfPages  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

from rccsim.report import tables  # noqa: E402
from rccsim.report.board import parameters_table  # noqa: E402
from rccsim.sim.describe import settings_in_words, title  # noqa: E402
from rccsim.sim.formats import hide_small_counts  # noqa: E402
from rccsim.studies.compare import figure_differences  # noqa: E402
from rccsim.studies.study import StudyResult  # noqa: E402

A4_LANDSCAPE = (11.69, 8.27)
WRAP = 150


def _text_page(pdf: PdfPages, heading: str, paragraphs: list[str], size: float = 10.0) -> None:
    """Pages of wrapped text (as many as it takes)."""
    lines: list[str] = []
    for p in paragraphs:
        lines += textwrap.wrap(p, int(WRAP * 10.0 / size)) or [""]
        lines.append("")
    per_page = int(44 * 10.0 / size)
    for start in range(0, max(len(lines), 1), per_page):
        fig = plt.figure(figsize=A4_LANDSCAPE)
        fig.text(0.05, 0.94, heading + ("" if start == 0 else " (continued)"), fontsize=15, weight="bold")
        fig.text(0.05, 0.90, "\n".join(lines[start:start + per_page]), fontsize=size, va="top", family="DejaVu Sans")
        pdf.savefig(fig)
        plt.close(fig)


def _table_page(pdf: PdfPages, heading: str, lead: list[str], rows: list[dict], font: float = 7.5) -> None:
    """A table on one page: the first column (the option) wider, every other column's text kept to
    its lines (a cell's own line breaks are kept)."""
    fig = plt.figure(figsize=A4_LANDSCAPE)
    fig.text(0.04, 0.95, heading, fontsize=15, weight="bold")
    fig.text(0.04, 0.915, "\n".join(textwrap.fill(p, WRAP + 20) for p in lead), fontsize=8.5, va="top")
    cols = list(rows[0])
    first, other = 28, 26
    cells = [["\n".join(textwrap.wrap(str(r[c]), first if i == 0 else other)) if i == 0 else str(r[c])
              for i, c in enumerate(cols)] for r in rows]
    head = ["\n".join(textwrap.wrap(c, first if i == 0 else other)) for i, c in enumerate(cols)]
    lines = max(2, max(cell.count("\n") + 1 for row in cells for cell in row))
    height = min(0.78, (len(rows) + 1) * lines * 0.024)
    ax = fig.add_axes((0.02, 0.84 - height, 0.96, height))
    ax.axis("off")
    widths = [1.35] + [1.0] * (len(cols) - 1)
    total = sum(widths)
    t = ax.table(cellText=cells, colLabels=head, loc="upper center", cellLoc="left", colLoc="left",
                 colWidths=[w / total for w in widths], bbox=(0, 0, 1, 1))
    t.auto_set_font_size(False)
    t.set_fontsize(font)
    for (r, c), cell in t.get_celld().items():
        cell.set_linewidth(0.3)
        if r == 0 or c == 0:
            cell.set_text_props(weight="bold")
            cell.set_facecolor("#eeeeee" if r == 0 else "#f7f7f7")
    pdf.savefig(fig)
    plt.close(fig)


def _image_page(pdf: PdfPages, heading: str, png: bytes, caption: str) -> None:
    fig = plt.figure(figsize=A4_LANDSCAPE)
    fig.text(0.05, 0.94, heading, fontsize=15, weight="bold")
    ax = fig.add_axes((0.05, 0.1, 0.9, 0.8))
    ax.imshow(plt.imread(io.BytesIO(png), format="png"))
    ax.axis("off")
    fig.text(0.05, 0.05, textwrap.fill(caption, WRAP), fontsize=9)
    pdf.savefig(fig)
    plt.close(fig)


def _series_png(res: StudyResult, names: dict) -> bytes:
    metrics = [("cost_per_child_week_gbp", "Cost per child-week (£)", 1.0), ("share_over_20_miles", "Placed > 20 miles (%)", 100.0),
               ("moves_per_child_year", "Moves per child-year", 1.0), ("children_waiting_end", "Children in emergency settings (under 5 not shown)", 1.0)]
    fig, axes = plt.subplots(2, 2, figsize=(11, 6.5))
    start = res.meta["start_year"]
    for ax, (key, label, scale) in zip(axes.ravel(), metrics):
        sub = res.series[res.series.metric == key]
        for s in tables.order(res.summary, res.meta["scenarios"]):
            g = sub[sub.scenario == s].groupby("year").value.mean() * scale
            y = hide_small_counts(g.to_numpy()) if key == "children_waiting_end" else g.to_numpy()
            ax.plot(start + g.index.to_numpy(), y, lw=2.2 if s == "baseline" else 1.2, label=names[s],
                    color="black" if s == "baseline" else None)
        ax.set_title(label, fontsize=10)
        ax.grid(alpha=0.3)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True, nbins=6))
        if key == "children_waiting_end":
            ax.set_ylim(bottom=0)
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=min(4, len(labels)), fontsize=8, frameon=False)
    fig.tight_layout(rect=(0, 0.08, 1, 1))
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=120)
    plt.close(fig)
    return buf.getvalue()


def board_pdf(res: StudyResult) -> bytes:
    """The board-paper report of a comparison, as PDF bytes."""
    scen = tables.order(res.summary, res.meta["scenarios"])
    names = {s.name: title(s) for s in res.request.scenarios}
    names = {s: names.get(s, s) for s in scen}
    meta = res.meta
    seeds = meta["seeds"]
    region = meta["region"]
    buf = io.BytesIO()
    with PdfPages(buf) as pdf:
        where = f"{region}, {meta['years']} year{'s' if meta['years'] != 1 else ''} from 1 April {meta['start_year']}"
        lead = tables.findings(res.summary, scen, names, len(seeds))
        _text_page(pdf, f"Regional care options for {region}: what each buys", [
            f"A simulation of the market for children's homes and foster placements ({where}), comparing "
            f"{len(scen) - 1} option{'s' if len(scen) != 2 else ''} with today's arrangements on the same {len(seeds)} random seeds.",
            "Findings", *lead,
            "Read against the baseline: the model's own levels drift over the years (the manual's Validation page); the "
            "differences between options on the same seeds are the report's subject. Levers' settings that the pathfinders "
            "have not published are illustrative; results that rest on them are marked as assumptions in the parameters.",
        ], size=11)
        note = ("Options after today's arrangements, by their effect on the cost per child-week (largest saving first). "
                "Each cell: the mean over seeds; for an option, below it, its difference from today's arrangements "
                "[95% interval over seeds]; an interval that includes zero is not distinguishable from no effect. "
                "Shares' differences are in percentage points. Cost includes the levers' own costs. A difference "
                "involving fewer than 5 children is withheld."
                + (" Where a third line reads 'drawn:', it gives the mean and middle 95% of the seeds' differences when "
                   "each seed also runs under a draw of the assumptions no published figure fixes "
                   "(calibration/uncertainty.yaml): a result whose drawn range is much wider than its interval rests on "
                   "those assumptions." if any("lo_drawn" in m for s in scen for m in res.summary[s]["metrics"].values())
                   else ""))
        for heading, keys in (("Headline results: cost and distance from home",
                               ["cost_total_gbp", "cost_per_child_week_gbp", "mean_distance_miles", "share_over_20_miles",
                                "share_out_of_la"]),
                              ("Headline results: stability and sufficiency",
                               ["moves_per_child_year", "share_3plus_placements", "share_long_term_stable",
                                "share_emergency_placements", "children_waiting_end", "children_homes_end",
                                "foster_households_end"])):
            _table_page(pdf, heading, [note], tables.option_rows(res.summary, scen, names, keys))
        png = io.BytesIO()
        figure_differences(res.summary, scen, png, names)
        _image_page(pdf, "Differences from today's arrangements", png.getvalue(),
                    "Each option's difference from baseline, mean and 95% interval over seeds (common random numbers).")
        _image_page(pdf, "Over time", _series_png(res, names), "Means over seeds, by year ending 31 March.")
        why = []
        options = [s for s in scen if s != "baseline"]
        for s in options:
            why.append(f"{names[s]}: " + " ".join(res.explanations.get(s, [])))
        _text_page(pdf, "Why the options differ (from the runs' own records)", why or ["No option was run."], size=7.5)
        by_name = {s.name: s for s in res.request.scenarios}
        _text_page(pdf, "The options in words", [f"{names[s]}: " + "; ".join(settings_in_words(by_name[s]))
                                                 for s in scen], size=8.5)
        prov = [f"Code version: {meta['code_version']}",
                f"Region {region}; {meta['years']} years from 1 April {meta['start_year']}; seeds {', '.join(map(str, seeds))}",
                "Scenarios (content hash; parameter hash): " + "; ".join(
                    f"{names.get(s, s)} ({meta['scenario_hashes'].get(s, '?')}; {meta['parameter_hashes'].get(s, '?')})" for s in scen),
                f"Finished {meta['finished']}" + ("; the start state includes an LA's own SSDA903 return" if meta.get("from_ssda903") else ""),
                "Every figure comes from the runs' aggregates; no child-level data is held in this report. Counts of children "
                "under 5 are shown as <5."]
        _text_page(pdf, "Provenance", prov, size=9.5)
        lines = [f"{r['name']} = {r['value']} ({r['unit']}). Source: {r['source']}" for r in parameters_table()]
        _text_page(pdf, "Appendix: the model's parameters and their sources", lines, size=7.0)
        info = pdf.infodict()
        info["Title"] = f"Regional care options for {region}"
        info["Creator"] = meta["code_version"]
    return buf.getvalue()

