"""Shared by the diagnostic scripts: run a model, calling ``snapshot()`` on day 0 and every 365 days."""

from __future__ import annotations


def run_with_yearly(model, snapshot) -> None:
    def yearly():
        while True:
            snapshot()
            yield model.env.timeout(365)

    model.env.process(yearly())
    model.run()
