"""The two workloads: the course's cat images and a tall synthetic table.

Data are made directly in the dtype they are benchmarked in (no float64
temporary for float32), so that the memory baseline taken after loading is
also the peak so far of the process (see :mod:`benchmarks.memory`).
"""

import os
from dataclasses import dataclass
from pathlib import Path

import h5py
import numpy as np

#: The float dtypes every workload is run in.
DTYPES = ("float64", "float32")

#: The learning rate of every contender: ``DeepBinaryClassifier``'s default.
LEARNING_RATE = 0.0075

CAT_SHAPE = (209, 64 * 64 * 3)
TALL_FEATURES = 100


@dataclass(frozen=True)
class Workload:
    """One data set and the network trained on it.

    ``iterations`` is the pair ``(k_lo, k_hi)`` of ``max_iter`` values whose
    fit times are subtracted to get the time of one iteration.
    """

    name: str
    hidden: tuple[int, ...]
    n_rows: int
    n_features: int
    iterations: tuple[int, int]

    def layer_sizes(self):
        """``[n_0, n_1, ..., 1]``: input, hidden and output widths."""
        return [self.n_features, *self.hidden, 1]

    @property
    def wide(self):
        """More features than samples."""
        return self.n_features > self.n_rows


@dataclass(frozen=True)
class Dataset:
    X: np.ndarray
    y: np.ndarray
    source: str


def workloads(quick=False):
    """The workloads by name; ``quick`` shrinks the tall one and the
    iteration counts.

    The cat workload starts at ``k_lo = 10``: skdnn picks its algorithm from
    ``max_iter`` (with ``space="auto"``, the sample space from about 7
    iterations on for these shapes), and both fits of a difference, like the
    course's 2500-iteration run, must use the same one.
    """
    return {
        "cat": Workload(
            "cat", (20, 7, 5), *CAT_SHAPE, (10, 60) if quick else (10, 110)
        ),
        "tall": Workload(
            "tall",
            (256, 128),
            20_000 if quick else 100_000,
            TALL_FEATURES,
            (1, 3) if quick else (1, 4),
        ),
    }


def load(workload, dtype):
    """The workload's ``Dataset`` in ``dtype`` (a name from ``DTYPES``)."""
    if workload.name == "cat":
        return _cat(np.dtype(dtype))
    return _tall(workload.n_rows, np.dtype(dtype))


def _cat(dtype):
    """The course's training images as ``X = images.reshape(209, -1) / 255``,
    from ``$SKDNN_DATA/catvnoncat``; a synthetic array of the same shape when
    the file is not there."""
    data_home = os.environ.get("SKDNN_DATA")
    path = Path(data_home or ".") / "catvnoncat" / "train_catvnoncat.h5"
    if data_home and path.is_file():
        with h5py.File(path, "r") as f:
            images = f["train_set_x"][:]
            y = np.asarray(f["train_set_y"][:]).ravel()
        X = images.reshape(images.shape[0], -1).astype(dtype)
        X /= 255
        return Dataset(X, y, f"the course's cat images, {path}")
    reason = "$SKDNN_DATA is not set" if not data_home else f"{path} does not exist"
    rng = np.random.default_rng(0)
    X = rng.random(CAT_SHAPE, dtype=dtype)
    y = rng.integers(0, 2, CAT_SHAPE[0])
    return Dataset(
        X,
        y,
        f"SYNTHETIC uniform [0, 1) array of shape {CAT_SHAPE} ({reason}); "
        "the cat images were not used",
    )


def _tall(n_rows, dtype):
    return synthetic(n_rows, TALL_FEATURES, dtype)


def synthetic(n_rows, n_features, dtype):
    """Standard normal features, labels from a random hyperplane plus noise
    (seed 0), made in ``dtype`` (a NumPy dtype)."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((n_rows, n_features), dtype=dtype)
    score = X @ rng.standard_normal(n_features, dtype=dtype)
    y = (score + rng.standard_normal(n_rows, dtype=dtype) > 0).astype(np.int64)
    return Dataset(X, y, f"synthetic standard normal {n_rows} x {n_features}, seed 0")
