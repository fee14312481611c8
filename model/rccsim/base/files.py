"""Writing output files: whole or not at all, and CSV a spreadsheet cannot run."""

from __future__ import annotations

from pathlib import Path


def write_text_atomic(path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` whole or not at all (:func:`write_bytes_atomic`)."""
    write_bytes_atomic(path, text.encode("utf-8"))


def write_bytes_atomic(path, data: bytes) -> None:
    """Write ``data`` to ``path`` whole or not at all (written aside, then renamed), readable by
    others as any output file (mkstemp alone would make it private)."""
    import os
    import tempfile

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value):
    """A text cell a spreadsheet will not run as a formula: text starting with ``= + - @``, a
    tab or a carriage return gets a leading apostrophe (OWASP, "CSV Injection"). Numbers, and
    text that is a number ("-0.5"), are left alone."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        try:
            float(value)
            return value
        except ValueError:
            return "'" + value
    return value


def csv_text(frame) -> str:
    """A DataFrame as CSV text with every text cell and column name made safe (:func:`csv_safe`)."""
    safe = frame.copy()
    for col in safe.columns:
        if safe[col].dtype == object or str(safe[col].dtype) in ("str", "string"):
            safe[col] = safe[col].map(csv_safe).astype(object)
    safe.columns = [csv_safe(str(c)) for c in safe.columns]
    return safe.to_csv(index=False)
