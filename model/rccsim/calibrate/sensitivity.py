"""Which parameters the targets pin down: Morris screening of the fitted parameters.

``rccsim calibrate --sensitivity`` moves each fitted parameter over its fit range, one at a time
along random trajectories (Morris elementary effects, SALib), runs the model at every point on the
fit's seeds (common random numbers: the effect is the parameter's, not the seed's), and measures
the effect on every fit target in units of the target's tolerance. ``mu_star`` is the mean
absolute effect of moving the parameter across its whole range; a parameter whose ``mu_star`` on
a target is at least one tolerance moves that target by more than the fit can ignore, so the
target constrains it. A parameter that moves no target by a tolerance is not pinned down by the
targets: its fitted value is its first guess in disguise, and the report says so.

Writes ``sensitivity.csv`` (parameter, target, mu_star, sigma), ``sensitivity.md`` and
``sensitivity.png`` (a heat map) into the report folder.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from rccsim.base.files import csv_text, write_text_atomic
from rccsim.calibrate import fit as cal
from rccsim.inputs.params import ParamSet


def morris(targets: list[cal.Target], spec: cal.FitSpec, base: ParamSet, trajectories: int,
           progress=None, seed: int = 0, jobs: int = 1) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Elementary effects: returns (parameter names, mu_star, sigma), arrays (parameters, targets)
    in tolerances per full range of the parameter."""
    from SALib.analyze import morris as analyse
    from SALib.sample import morris as sample

    names = list(spec.parameters)
    bounds = [list(spec.parameters[n].get("range", spec.parameters[n].get("scale"))) for n in names]
    problem = {"num_vars": len(names), "names": names, "bounds": bounds}
    design = sample.sample(problem, N=trajectories, num_levels=4, seed=seed)
    if progress:
        progress(f"sensitivity: {len(design)} points x {len(spec.seeds)} seed(s) on {jobs} process(es)")
    sims = cal.simulate_many(targets, [cal.apply(base, names, spec.parameters, x) for x in design], spec.seeds,
                             spec.start, spec.region, jobs=jobs)
    z = np.array([cal.standardised_errors(sim, targets) for sim in sims])
    mu_star = np.empty((len(names), len(targets)))
    sigma = np.empty_like(mu_star)
    for j in range(len(targets)):
        # unscaled Morris: each effect is the output change over the step, the step measured in
        # the unit hypercube, i.e. already per whole range of the parameter
        res = analyse.analyze(problem, design, z[:, j], num_levels=4, print_to_console=False, seed=seed)
        mu_star[:, j] = np.asarray(res["mu_star"])
        sigma[:, j] = np.asarray(res["sigma"])
    return names, mu_star, sigma


def report(names: list[str], targets: list[cal.Target], mu_star: np.ndarray, sigma: np.ndarray,
           out: Path, header: list[str]) -> str:
    """Write sensitivity.csv, .md and .png; returns the markdown."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import pandas as pd
    import seaborn as sns

    out.mkdir(parents=True, exist_ok=True)
    rows = [{"parameter": n, "target": t.id, "mu_star_tolerances": float(mu_star[i, j]), "sigma_tolerances": float(sigma[i, j])}
            for i, n in enumerate(names) for j, t in enumerate(targets)]
    frame = pd.DataFrame(rows)

    write_text_atomic(out / "sensitivity.csv", csv_text(frame))

    grid = pd.DataFrame(mu_star, index=names, columns=[t.id for t in targets])
    fig, ax = plt.subplots(figsize=(0.45 * len(targets) + 3.5, 0.5 * len(names) + 2.2))
    sns.heatmap(grid.clip(upper=10), ax=ax, cmap="viridis", vmin=0, vmax=10, annot=grid.round(1), fmt="",
                annot_kws={"fontsize": 6}, cbar_kws={"label": "mean absolute effect of the full range (tolerances, capped at 10)"})
    ax.set_xlabel("fit target")
    ax.set_ylabel("fitted parameter")
    ax.set_title("Which targets each parameter moves (Morris mu*, in target tolerances)")
    plt.setp(ax.get_xticklabels(), rotation=60, ha="right", fontsize=7)
    plt.setp(ax.get_yticklabels(), fontsize=7)
    fig.tight_layout()
    fig.savefig(out / "sensitivity.png", dpi=130)
    plt.close(fig)

    lines = header + ["", "| parameter | targets it moves by a tolerance or more (mu*) | strongest |", "|---|---|---|"]
    for i, n in enumerate(names):
        moved = [(targets[j].id, mu_star[i, j]) for j in np.argsort(-mu_star[i]) if mu_star[i, j] >= 1.0]
        strongest = f"{targets[int(np.argmax(mu_star[i]))].id} ({mu_star[i].max():.1f})"
        listed = ", ".join(f"{t} ({v:.1f})" for t, v in moved[:6]) + (" ..." if len(moved) > 6 else "")
        lines.append(f"| {n} | {listed or '**none: not pinned down by these targets**'} | {strongest} |")
    unpinned = [n for i, n in enumerate(names) if mu_star[i].max() < 1.0]
    lines += [""]
    if unpinned:
        lines.append(f"Not pinned down (no target moves by a tolerance across the whole range): {', '.join(unpinned)}. "
                     "Their fitted values rest on the first guess and its range, not on the data.")
    else:
        lines.append("Every fitted parameter moves at least one target by a tolerance or more across its range.")
    unmoved = [t.id for j, t in enumerate(targets) if mu_star[:, j].max() < 1.0]
    if unmoved:
        lines.append(f"Targets no fitted parameter moves by a tolerance: {', '.join(unmoved)} "
                     "(their fit rests on the model's structure and unfitted parameters).")
    text = "\n".join(lines) + "\n"
    (out / "sensitivity.md").write_text(text)
    return text
