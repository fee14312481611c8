"""Errors a user can cause (and fix), and the limits input is checked against.

The command line turns an :class:`InputError` into one line and exit code 2.
"""

import math

#: the largest seed: results databases store seeds as signed 64-bit integers
MAX_SEED = 2**63 - 1


class InputError(Exception):
    """Bad input: an unknown region or LA, a malformed scenario, an impossible parameter."""


def check_seed(seed, what: str = "--seed") -> int:
    """``seed`` as an int in 0..MAX_SEED, or :class:`InputError` naming ``what``."""
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise InputError(f"{what} must be a whole number from 0 to {MAX_SEED}, got {seed!r}")
    if not 0 <= seed <= MAX_SEED:
        raise InputError(f"{what} must be a whole number from 0 to {MAX_SEED} (2^63 - 1), got {seed}")
    return seed


def check_finite(value: float, what: str) -> float:
    """``value`` if it is a finite number, else :class:`InputError` naming ``what``."""
    if not math.isfinite(value):
        raise InputError(f"{what} must be a finite number, got {value}")
    return value
