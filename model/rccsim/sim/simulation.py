"""The simulation front end: a run of a scenario for a region, from a start year, on a seed.

The common task is one line::

    from rccsim import Simulation
    result = Simulation(region="GM", years=3, seed=1).run()
    result.metrics      # one row per headline metric
    result.by_year()    # one row per run year
    result.by_la()      # one row per LA of the run

:class:`Simulation` reads the scenario (a bundled name or a YAML file), applies its parameter
overrides to the defaults, builds its policy levers (:func:`rccsim.levers.build`) and the engine
(:class:`rccsim.core.engine.CareMarket`), runs it and returns a :class:`Result`.
"""

from __future__ import annotations

import pandas as pd

from rccsim.core.engine import CareMarket
from rccsim.inputs.geography import load_geography
from rccsim.inputs.params import ParamSet, resolve_parameters
from rccsim.levers import build as build_levers
from rccsim.outputs.record import RunResult
from rccsim.sim.scenario import Scenario, load_scenario


class Result:
    """A finished run: its record (metrics, metrics by year and by LA, provenance) as tables.

    Attributes:
        record: the run record (:class:`rccsim.outputs.record.RunResult`), as ``rccsim run --json``
            prints it.
        model: the finished model (for inspection; not part of any output).
    """

    def __init__(self, record: RunResult, model: CareMarket | None = None):
        self.record = record
        self.model = model

    @property
    def metrics(self) -> pd.DataFrame:
        """The whole-run metrics that are single numbers: columns ``metric`` and ``value``."""
        rows = [{"metric": k, "value": float(v)} for k, v in self.record.metrics.items()
                if isinstance(v, int | float) and not isinstance(v, bool)]
        return pd.DataFrame(rows, columns=["metric", "value"])

    def by_year(self) -> pd.DataFrame:
        """One row per run year: ``year``, ``year_ending`` and every yearly metric that is a number."""
        rows = [{k: v for k, v in y.items() if not isinstance(v, dict)} for y in self.record.by_year]
        return pd.DataFrame(rows)

    def by_la(self) -> pd.DataFrame:
        """One row per LA of the run: ``la_code``, ``la_name`` and the by-LA metrics."""

        names = dict(zip(load_geography().las.la_code, load_geography().las.la_name))
        rows = [{"la_code": code, "la_name": names.get(code, code), **vals}
                for code, vals in self.record.metrics["by_la"].items()]
        return pd.DataFrame(rows)

    @property
    def provenance(self) -> dict:
        """Seed, scenario and its hash, region, start, years, parameter hash, code version."""
        return self.record.provenance

    def to_json(self) -> str:
        return self.record.to_json()

    def summary_table(self) -> str:
        return self.record.summary_table()

    def __repr__(self) -> str:
        p = self.record.provenance
        return f"Result(region={p['region']!r}, scenario={p['scenario']!r}, seed={p['seed']}, years={p['years']})"


class Simulation:
    """One run: a scenario for a region over ``years`` from 31 March ``start_year`` on ``seed``.

    Args:
        region: ``GM``, ``SE``, ``england``, an English region name or comma-separated LAs.
        scenario: a bundled scenario name, the path of a scenario YAML file, or a :class:`Scenario`.
        years: horizon in years (1-50).
        seed: the run's seed (0 to 2^63 - 1).
        start_year: the published state the run starts from (2020-2024).
        params: the parameters the scenario's overrides apply to (default: the installed defaults).
        verbose: progress on stderr.
        start_population, rates: an LA's own SSDA903 return (see :mod:`rccsim.io.ssda903`).
    """

    def __init__(self, region: str = "GM", scenario: str | Scenario = "baseline", years: int = 10, seed: int = 1,
                 start_year: int = 2024, params: ParamSet | None = None, verbose: bool = False,
                 start_population=None, rates=None):
        self.scenario = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
        self.params = resolve_parameters(self.scenario, params)
        self.model = CareMarket(region=region, scenario=self.scenario, years=years, seed=seed, start_year=start_year,
                                params=self.params, levers=build_levers(self.scenario.levers), verbose=verbose,
                                start_population=start_population, rates=rates)

    def run(self) -> Result:
        """Run the whole horizon."""
        model = self.model.run()
        return Result(RunResult.from_model(model), model)


class StartState:
    """The start state of a region on a seed, built once and copied for each scenario that keeps
    its parameters (the scenarios of a comparison; the copy is the run a fresh build gives)."""

    def __init__(self, region: str, years: int, seed: int, start_year: int, params: ParamSet | None = None):
        self.base_params = params
        self.baseline = load_scenario("baseline")
        self.params = resolve_parameters(self.baseline, params)
        self.where = {"region": region, "years": years, "seed": seed, "start_year": start_year}
        self._template: CareMarket | None = None  # built on first use

    @property
    def template(self) -> CareMarket:
        if self._template is None:
            self._template = CareMarket(scenario=self.baseline, params=self.params, template=True, **self.where)
        return self._template

    def shares(self, scenario: Scenario) -> bool:
        """Whether ``scenario`` keeps the parameters that shaped this start state."""
        return resolve_parameters(scenario, self.base_params).digest() == self.params.digest()

    def run(self, scenario: str | Scenario) -> Result:
        """A run of ``scenario`` from this start state (ValueError if it changes parameters)."""
        sc = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
        if not self.shares(sc):
            raise ValueError(f"scenario {sc.name} changes parameters; build it afresh")
        model = self.template.copy(sc, build_levers(sc.levers)).run()
        return Result(RunResult.from_model(model), model)
