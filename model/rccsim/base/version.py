"""The code version every result records: ``rccsim <version>+g<commit>[.dirty<hash>]``."""

from __future__ import annotations

import functools
import hashlib
import subprocess

from rccsim.base.paths import checkout_root


@functools.lru_cache(maxsize=1)
def code_version() -> str:
    """``rccsim <version>+g<commit>[.dirty]`` from git, or the package version alone (installed)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        base = version("rccsim")
    except PackageNotFoundError:
        base = "0+unknown"
    root = checkout_root()
    if root is None:
        return f"rccsim {base}"
    try:
        commit = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "--short=12", "HEAD"], capture_output=True, text=True, timeout=5
        )
        if commit.returncode != 0:
            return f"rccsim {base}"
        dirty = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no", "--", "model", "calibration"],
            capture_output=True, text=True, timeout=5,
        )
        suffix = ""
        if dirty.stdout.strip():  # uncommitted changes: name them by a hash of the diff, so two edits differ
            diff = subprocess.run(["git", "-C", str(root), "diff", "HEAD", "--", "model", "calibration"],
                                  capture_output=True, timeout=10)
            suffix = ".dirty" + hashlib.sha256(diff.stdout).hexdigest()[:8]
        return f"rccsim {base}+g{commit.stdout.strip()}{suffix}"
    except (OSError, subprocess.SubprocessError):
        return f"rccsim {base}"
