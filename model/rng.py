"""Random number streams: one seed, one named stream per random process, no global state.

A run's seed makes a ``numpy.random.SeedSequence``. Each random process (entries, exits,
breakdowns, the market, carer recruitment, provider entry...) asks for a stream by name and gets a
generator whose state depends only on the seed and the name, never on the order in which streams
were created or on how many numbers another process drew.

For common random numbers across scenarios, draws that belong to one child (how long a placement
lasts, when and how the child leaves care) are *keyed*: :func:`keyed_uniform` hashes
``(seed, stream name, child id, counter)`` to a uniform number. The third placement of child 1234
gets the same uniform in every scenario run with the same seed, so a policy that changes what
happens to one child does not reshuffle the luck of every other child.
"""

from __future__ import annotations

import zlib

import numpy as np

_MASK64 = np.uint64(0xFFFFFFFFFFFFFFFF)


def _name_key(name: str) -> int:
    return zlib.crc32(name.encode("utf-8"))


def _splitmix64(x: np.ndarray) -> np.ndarray:
    """The SplitMix64 finaliser (Steele, Lea and Flood 2014) on an array of uint64."""
    with np.errstate(over="ignore"):
        x = x + np.uint64(0x9E3779B97F4A7C15)
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return x ^ (x >> np.uint64(31))


class Streams:
    """Named random streams derived from one seed.

    Args:
        seed: a non-negative integer.

    Example:
        >>> s = Streams(1)
        >>> s["entries"].poisson(3.0)  # doctest: +SKIP
    """

    def __init__(self, seed: int):
        if seed < 0:
            raise ValueError("seed must be a non-negative integer")
        self.seed = int(seed)
        self._streams: dict[str, np.random.Generator] = {}

    def __getitem__(self, name: str) -> np.random.Generator:
        gen = self._streams.get(name)
        if gen is None:
            seq = np.random.SeedSequence(entropy=self.seed, spawn_key=(_name_key(name),))
            gen = np.random.Generator(np.random.PCG64(seq))
            self._streams[name] = gen
        return gen

    def keyed_uniform(self, name: str, ids: np.ndarray, counter: np.ndarray | int = 0) -> np.ndarray:
        """Uniform(0, 1) numbers determined by (seed, name, id, counter) alone."""
        return keyed_uniform(self.seed, name, ids, counter)


def keyed_uniform(seed: int, name: str, ids: np.ndarray, counter: np.ndarray | int = 0) -> np.ndarray:
    """Counter-based uniforms in (0, 1): the same inputs always give the same number.

    Args:
        seed: the run's seed.
        name: the random process (e.g. ``"breakdown"``).
        ids: integer ids (e.g. child row numbers).
        counter: which draw for that id (e.g. the placement number), scalar or array.
    """
    ids = np.asarray(ids, dtype=np.uint64)
    ctr = np.asarray(counter, dtype=np.uint64)
    base = _splitmix64(np.uint64(seed) ^ (np.uint64(_name_key(name)) << np.uint64(32)))
    with np.errstate(over="ignore"):
        x = _splitmix64(base ^ _splitmix64(ids * np.uint64(0x9E3779B97F4A7C15) + ctr))
    # 53 high bits -> double in [0, 1); shift by half an ulp to keep it strictly inside (0, 1)
    return ((x >> np.uint64(11)).astype(np.float64) + 0.5) * (1.0 / 9007199254740992.0)
