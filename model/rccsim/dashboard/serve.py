"""``rccsim dashboard``: serve the app on this machine and open it in a browser."""

from __future__ import annotations

import sys
import threading
import webbrowser

from rccsim.base.errors import InputError
from rccsim.dashboard.app import create_app
from rccsim.dashboard.jobs import JobQueue


def serve(port: int, browser: bool = True, url: str | None = None, processes: int | None = None) -> int:
    """Run the dashboard at http://127.0.0.1:``port`` until interrupted."""
    if not 1024 <= port <= 65535:
        raise InputError(f"--port must be from 1024 to 65535, got {port}")
    app = create_app(JobQueue(processes), url)
    address = f"http://127.0.0.1:{port}"
    print(f"rccsim dashboard: {address} (Ctrl-C to stop)", file=sys.stderr, flush=True)
    if browser:
        threading.Timer(1.0, webbrowser.open, args=(address,)).start()
    try:
        app.run(host="127.0.0.1", port=port, debug=False)
    except OSError as exc:
        raise InputError(f"cannot serve on port {port}: {exc.strerror or exc}") from None
    return 0
