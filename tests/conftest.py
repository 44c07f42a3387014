"""Fixtures shared by the tests: the course's cat images, found through
``$SKDNN_DATA`` (the tests never download anything), and one local dask
cluster for the whole session."""

import json
import logging
import os
from pathlib import Path

import h5py
import numpy as np
import pytest

try:
    from hypothesis import settings
except ImportError:  # the property-based tests skip themselves
    pass
else:
    # Reproducible runs: the same examples every time, no example database.
    settings.register_profile("ci", derandomize=True, database=None, deadline=None)
    settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

SHARED = Path(__file__).resolve().parents[2] / "shared"
FIGURES = SHARED / "reference" / "course_figures.json"


def _catvnoncat_dir():
    data_home = os.environ.get("SKDNN_DATA")
    if not data_home:
        pytest.skip("the cat data is found through $SKDNN_DATA, which is not set")
    folder = Path(data_home) / "catvnoncat"
    if not (folder / "train_catvnoncat.h5").is_file():
        pytest.skip(f"$SKDNN_DATA is set but {folder} has no train_catvnoncat.h5")
    return folder


@pytest.fixture(scope="session")
def catvnoncat():
    """``(X_train, y_train, X_test, y_test)`` as in the course:
    ``X.reshape(m, -1) / 255``, shapes (209, 12288) and (50, 12288)."""
    folder = _catvnoncat_dir()
    arrays = []
    for subset in ("train", "test"):
        with h5py.File(folder / f"{subset}_catvnoncat.h5", "r") as f:
            images = f[f"{subset}_set_x"][:]
            arrays.append(images.reshape(images.shape[0], -1) / 255.0)
            arrays.append(np.asarray(f[f"{subset}_set_y"][:]))
    return tuple(arrays)


@pytest.fixture(scope="session")
def course_figures():
    if not FIGURES.is_file():
        pytest.skip(f"the published course figures are not at {FIGURES}")
    return json.loads(FIGURES.read_text())


@pytest.fixture(scope="session")
def cluster():
    """A ``LocalCluster`` of two single-threaded worker processes."""
    distributed = pytest.importorskip(
        "distributed",
        reason="dask.distributed is not installed: pip install 'skdnn[distributed]'",
    )
    with distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        dashboard_address=":0",
        silence_logs=logging.ERROR,
    ) as cluster:
        yield cluster


@pytest.fixture
def client(cluster):
    """A client of :func:`cluster`: dask work and joblib's dask backend go to
    the cluster while it is open."""
    import distributed

    with distributed.Client(cluster) as client:
        yield client
