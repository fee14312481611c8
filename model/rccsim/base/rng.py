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


_C1 = np.uint64(0x9E3779B97F4A7C15)
_C2 = np.uint64(0xBF58476D1CE4E5B9)
_C3 = np.uint64(0x94D049BB133111EB)
_S30, _S27, _S31 = np.uint64(30), np.uint64(27), np.uint64(31)


def _splitmix64_inplace(x: np.ndarray) -> None:
    """The SplitMix64 finaliser (Steele, Lea and Flood 2014), overwriting an array of uint64.

    Integer arrays wrap around silently in numpy, which is what the mixer needs.
    """
    x += _C1
    x ^= x >> _S30
    x *= _C2
    x ^= x >> _S27
    x *= _C3
    x ^= x >> _S31


def _mix_int(x: int) -> int:
    """SplitMix64 on a Python int (for per-stream constants)."""
    m = 0xFFFFFFFFFFFFFFFF
    x = (x + 0x9E3779B97F4A7C15) & m
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & m
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & m
    return x ^ (x >> 31)


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

    def keyed_uniforms(self, names: tuple[str, ...], ids: np.ndarray, counter: np.ndarray | int = 0) -> list[np.ndarray]:
        """``[keyed_uniform(name, ids, counter) for name in names]``, hashing the keys once."""
        return keyed_uniforms(self.seed, names, ids, counter)


_BASES: dict[tuple[int, str], np.uint64] = {}
_SMALL = 12  # up to this many ids, keyed_uniform works on Python ints (faster below about 12)


def _base(seed: int, name: str) -> np.uint64:
    base = _BASES.get((seed, name))
    if base is None:
        base = np.uint64(_mix_int((seed & 0xFFFFFFFF) ^ (_name_key(name) << 32) ^ ((seed >> 32) << 7)))
        _BASES[(seed, name)] = base
    return base


def keyed_uniforms(seed: int, names: tuple[str, ...], ids: np.ndarray, counter: np.ndarray | int = 0) -> list[np.ndarray]:
    """:func:`keyed_uniform` for several streams on the same ids and counters: the (id, counter)
    half of the hash is computed once. The numbers are exactly those of :func:`keyed_uniform`."""
    ids = np.atleast_1d(np.asarray(ids))
    if ids.ndim != 1 or len(ids) <= _SMALL:
        return [keyed_uniform(seed, name, ids, counter) for name in names]
    key = ids.astype(np.uint64)
    key *= _C1
    key += np.asarray(counter).astype(np.uint64) * _C3
    _splitmix64_inplace(key)
    out = []
    for name in names:
        x = key ^ _base(seed, name)
        _splitmix64_inplace(x)
        out.append(((x >> np.uint64(11)).astype(np.float64) + 0.5) * (1.0 / 9007199254740992.0))
    return out


def keyed_uniform(seed: int, name: str, ids: np.ndarray, counter: np.ndarray | int = 0) -> np.ndarray:
    """Counter-based uniforms in (0, 1): the same inputs always give the same number.

    Args:
        seed: the run's seed.
        name: the random process (e.g. ``"breakdown"``).
        ids: integer ids (e.g. child row numbers).
        counter: which draw for that id (e.g. the placement number), scalar or array.
    """
    base = _base(seed, name)
    ids = np.atleast_1d(np.asarray(ids))
    if ids.ndim == 1 and len(ids) <= _SMALL:
        # a few children at a time (most calls): the same arithmetic on Python ints is faster
        # than a dozen numpy calls on tiny arrays, and gives the same bits
        return np.array(_keyed_small(int(base), ids.tolist(), counter, len(ids)), dtype=np.float64)
    x = ids.astype(np.uint64)
    x *= _C1
    x += np.asarray(counter).astype(np.uint64) * _C3
    _splitmix64_inplace(x)
    x ^= base
    _splitmix64_inplace(x)
    # 53 high bits -> double in [0, 1); shift by half an ulp to keep it strictly inside (0, 1)
    return ((x >> np.uint64(11)).astype(np.float64) + 0.5) * (1.0 / 9007199254740992.0)


def _keyed_small(b: int, ids: list, counter, n: int) -> list:
    """:func:`keyed_uniform` for a few ids, on Python ints (SplitMix64 written out twice)."""
    m = 0xFFFFFFFFFFFFFFFF
    if np.ndim(counter) == 0:
        ctrs = [int(counter)] * n
    elif np.shape(counter) == (n,):
        ctrs = np.asarray(counter).tolist()
    else:
        ctrs = np.broadcast_to(np.asarray(counter), (n,)).tolist()
    out = []
    for i, k in zip(ids, ctrs):
        x = (i * 0x9E3779B97F4A7C15 + k * 0x94D049BB133111EB + 0x9E3779B97F4A7C15) & m
        x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & m
        x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & m
        x = b ^ x ^ (x >> 31)
        x = (x + 0x9E3779B97F4A7C15) & m
        x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & m
        x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & m
        x ^= x >> 31
        out.append(((x >> 11) + 0.5) * (1.0 / 9007199254740992.0))
    return out


def choice_index(rng: np.random.Generator, n: int, weights) -> np.ndarray:
    """``rng.choice(len(weights), size=n, p=weights / sum(weights))`` without its checks (which
    cost more than the draw for the few rows of a tick): the same numbers, and the generator
    ends in the same state (numpy draws one uniform per row and inverts the cumulative shares)."""
    cdf = np.cumsum(np.asarray(weights, dtype=np.float64) / np.sum(weights))
    cdf /= cdf[-1]
    return cdf.searchsorted(rng.random(n), side="right")
