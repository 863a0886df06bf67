"""Real minibatches on finite-sum surfaces: which examples each trajectory's gradient averages at each step.

The semantics are torch's ``DataLoader(dataset, batch_size=B, shuffle=True)``: every epoch each trajectory
visits its own random permutation of the n examples in consecutive batches of B, without replacement; the last
batch of an epoch holds the n mod B examples left over (``drop_last=False``). B >= n is the exact gradient.

Permutations are drawn by a counter-based generator: the random key of example j in epoch e of trajectory i
is a hash of (seed, stream, e, j), and sorting the keys gives the permutation. So one ``(N, n)`` array per epoch
serves every trajectory at once (no loop over trajectories), any epoch can be drawn without the ones before, and
a trajectory's batches depend on its own seed only: with one seed per trajectory (``seed`` of shape (N,)),
a batched run equals the separate runs. With one integer seed, trajectory i draws stream i of that seed.
"""

from __future__ import annotations

import numpy as np

__all__ = ["Minibatches", "check_batch_size", "check_seed"]

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)  # splitmix64's increment (2^64 / golden ratio)


def _mix(z: np.ndarray) -> np.ndarray:
    """splitmix64's finalizer on uint64 arrays: every input bit changes about half the output bits."""
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)  # wrapping multiplication is intended
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def check_seed(seed, n: int) -> np.ndarray:
    """``seed``: a whole number >= 0, or one per trajectory (shape (n,)); ValueError otherwise."""
    if isinstance(seed, bool | np.bool_) or isinstance(seed, str | bytes):
        raise ValueError(f"seed must be a whole number >= 0 or one per trajectory, got {seed!r}")
    try:
        arr = np.asarray(seed)
    except (TypeError, ValueError):
        raise ValueError(f"seed must be a whole number >= 0 or one per trajectory, got {seed!r}") from None
    if arr.dtype.kind not in "iu" or arr.ndim > 1 or (arr.ndim == 1 and arr.shape != (n,)) or np.any(arr < 0):
        raise ValueError(f"seed must be a whole number >= 0 or {n} of them (one per trajectory), got {seed!r}")
    return arr.astype(np.uint64)


def check_batch_size(batch_size, n_examples: int) -> int | None:
    """A whole number >= 1, or None (the full batch); a batch larger than the dataset is the full batch."""
    if batch_size is None:
        return None
    if isinstance(batch_size, bool | np.bool_) or not isinstance(batch_size, int | np.integer) or batch_size < 1:
        raise ValueError(f"batch_size must be a whole number >= 1, got {batch_size!r}")
    return None if batch_size >= n_examples else int(batch_size)


class Minibatches:
    """The examples (N, b) each of N trajectories uses at step t; b = B except in an epoch's last, short batch."""

    def __init__(self, n_examples: int, batch_size: int, n_trajectories: int, seed):
        self.n, self.batch_size = n_examples, batch_size
        self.per_epoch = -(-n_examples // batch_size)  # ceil: the short last batch is kept, as in torch
        seeds = check_seed(seed, n_trajectories)
        streams = np.zeros(n_trajectories, np.uint64) if seeds.ndim else np.arange(n_trajectories, dtype=np.uint64)
        self._keys = _mix(_mix(np.broadcast_to(seeds, (n_trajectories,)) ^ _GOLDEN) + streams)  # (N,)
        self._epoch, self._permutation = -1, None

    def permutation(self, epoch: int) -> np.ndarray:
        """Each trajectory's order of the examples in ``epoch``: an (N, n) array of indices."""
        if epoch != self._epoch:
            with np.errstate(over="ignore"):
                key = _mix(self._keys + np.uint64(epoch) * _GOLDEN)
                examples = np.arange(1, self.n + 1, dtype=np.uint64) * _GOLDEN
                self._permutation = np.argsort(_mix(key[:, None] + examples), axis=1)
            self._epoch = epoch
        return self._permutation

    def at(self, t: int) -> np.ndarray:
        """The indices (N, b) of step ``t`` (0 is the first step)."""
        epoch, k = divmod(t, self.per_epoch)
        return self.permutation(epoch)[:, k * self.batch_size:(k + 1) * self.batch_size]
