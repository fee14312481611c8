"""Worker processes for runs in parallel (``rccsim compare``, ``rccsim calibrate``).

A Ctrl-C reaches every process of the terminal's group; workers ignore it, so that the parent
alone stops (one line: ``rccsim: interrupted; nothing written``) and no worker prints a
traceback.
"""

from __future__ import annotations

import signal
from concurrent.futures import ProcessPoolExecutor


def _ignore_interrupt() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def worker_pool(jobs: int) -> ProcessPoolExecutor:
    """A process pool whose workers leave Ctrl-C to the parent."""
    return ProcessPoolExecutor(max_workers=jobs, initializer=_ignore_interrupt)
