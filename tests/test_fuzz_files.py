"""Damaged model files, generated: whatever happens to the bytes or the
contents of a saved model, ``load_model`` either returns a model whose
probabilities on finite input are finite and sum to 1, or raises a
``ValueError`` naming the file: never another exception, never a hang.

Examples are derandomized (the ``ci`` profile of tests/conftest.py), so a run
tests the same files every time.
"""

import faulthandler
import warnings
from unittest import mock

import h5py
import numpy as np
import pytest
from sklearn.pipeline import make_pipeline

from skdnn import DeepBinaryClassifier, load_model, persistence, save_model
from skdnn.preprocessing import TabularEncoder

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

EXAMPLES = settings(max_examples=100, deadline=None)


@pytest.fixture(autouse=True)
def no_hang():
    """A load that hangs ends the run with a traceback instead of blocking."""
    faulthandler.dump_traceback_later(300, exit=True)
    yield
    faulthandler.cancel_dump_traceback_later()


def _regions(path):
    """Where the arrays' bytes are in the file: (offset, size) of each."""
    regions = []
    with h5py.File(path, "r") as f:
        f.visititems(
            lambda name, obj: (
                regions.append((obj.id.get_offset(), obj.id.get_storage_size()))
                if isinstance(obj, h5py.Dataset) and obj.id.get_storage_size()
                else None
            )
        )
    return regions


def _pipeline(pd, rng):
    """A TabularEncoder and a network, fit on a table of numbers, strings and
    bools with missing values."""
    X = pd.DataFrame(
        {
            "a": rng.standard_normal(60),
            "city": rng.choice(["rome", "oslo", "lima"], 60),
            "b": rng.randint(0, 4, 60),
            "member": rng.rand(60) < 0.5,
        }
    )
    X.loc[::7, "a"] = np.nan
    X.loc[::5, "city"] = None
    y = np.array(["no", "yes"])[(X["city"] == "rome").to_numpy().astype(int)]
    network = DeepBinaryClassifier((4, 3), max_iter=20, random_state=0)
    return make_pipeline(TabularEncoder(), network).fit(X, y)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """The bytes of a saved model with every optional member (string labels,
    feature names, validation curves), as format version 2 and as version 1
    (no checksum); of a saved pipeline with its TabularEncoder (version 3);
    and a folder to write damaged copies to."""
    pd = pytest.importorskip("pandas")
    rng = np.random.RandomState(0)
    X = pd.DataFrame(rng.standard_normal((60, 5)), columns=list("abcde"))
    y = np.array(["no", "yes"])[(X["a"] > 0).to_numpy().astype(int)]
    estimator = DeepBinaryClassifier(
        (4, 3), activation="tanh", max_iter=20, random_state=0, early_stopping=True
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning
        estimator.fit(X, y)
        pipeline = _pipeline(pd, rng)
    folder = tmp_path_factory.mktemp("fuzz")
    save_model(estimator, folder / "v2.h5")
    save_model(estimator, folder / "v1.h5")
    save_model(pipeline, folder / "v3.h5")
    with h5py.File(folder / "v1.h5", "r+") as f:
        del f.attrs["sha256"]
        f.attrs["format_version"] = 1
    files = {version: (folder / f"{version}.h5").read_bytes() for version in VERSIONS}
    files["regions"] = {
        version: _regions(folder / f"{version}.h5") for version in VERSIONS
    }
    files["folder"] = folder
    return files


#: The files of the fixture: format versions 2 and 1 (a network), 3 (a
#: pipeline).
VERSIONS = ("v2", "v1", "v3")


def _network(model):
    """The network of a loaded model (the last step of a pipeline)."""
    return model[-1] if hasattr(model, "steps") else model


def loads_or_refuses(path):
    """The property: a model that predicts sensibly, or a ValueError."""
    try:
        model = load_model(path)
    except ValueError as exc:
        assert str(path) in str(exc)
        # --hypothesis-show-statistics tells how the files were refused
        hypothesis.event(str(exc)[len(str(path)) :][:45])
        return None
    hypothesis.event("loaded")
    X = np.random.RandomState(1).standard_normal((20, model.n_features_in_))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # X has no feature names
        proba = model.predict_proba(X)
    assert np.isfinite(proba).all()
    np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=0, atol=1e-6)
    return model


def _damaged(data, damage):
    """``data`` with each change of ``damage`` made in turn."""
    data = bytearray(data)
    for kind, position, bit, chunk, number in damage:
        offset = position % len(data)
        if kind == "flip":
            data[offset] ^= 1 << bit
        elif kind == "bytes":
            data[offset : offset + len(chunk)] = chunk
        elif kind == "number":  # a length, an address or a count gone wrong
            data[offset : offset + 8] = number.to_bytes(8, "little")
        else:
            del data[offset:]
        if not data:
            break
    return bytes(data)


_DAMAGE = st.lists(
    st.tuples(
        st.sampled_from(["flip", "flip", "flip", "bytes", "number", "truncate"]),
        st.integers(0, 2**32 - 1),  # the offset, modulo the file's length
        st.integers(0, 7),
        st.binary(min_size=1, max_size=16),
        st.sampled_from([0, 1, 2**31, 2**32 - 1, 2**63, 2**64 - 1]),
    ),
    min_size=1,
    max_size=4,
)


@EXAMPLES
@given(version=st.sampled_from(VERSIONS), damage=_DAMAGE)
def test_damaged_bytes_load_or_are_refused(files, version, damage):
    path = files["folder"] / "damaged.h5"
    path.write_bytes(_damaged(files[version], damage))
    model = loads_or_refuses(path)
    if version != "v1" and model is not None:
        # the checksum lets only damage that changes nothing it covers through
        original = load_model(files["folder"] / f"{version}.h5")
        assert all(
            np.array_equal(a, b)
            for a, b in zip(
                _network(model).coefs_, _network(original).coefs_, strict=True
            )
        )
        if version == "v3":
            for name in ("numeric_columns_", "fill_values_", "categorical_columns_"):
                assert np.array_equal(
                    getattr(model[0], name), getattr(original[0], name)
                )
            assert [c.tolist() for c in model[0].categories_] == [
                c.tolist() for c in original[0].categories_
            ]


@EXAMPLES
@given(
    version=st.sampled_from(VERSIONS),
    flips=st.lists(
        st.tuples(st.integers(0, 2**16), st.integers(0, 2**32 - 1), st.integers(0, 7)),
        min_size=1,
        max_size=3,
    ),
)
def test_damaged_arrays_load_or_are_refused(files, version, flips):
    """Bits flipped in the arrays' data (weights, labels, curves, the
    encoder's positions, fill values and categories, the string references):
    a version 2 or 3 file is always refused (by the checksum, or before it by
    the check of the changed value)."""
    data = bytearray(files[version])
    regions = files["regions"][version]
    for region, position, bit in flips:
        offset, size = regions[region % len(regions)]
        data[offset + position % size] ^= 1 << bit
    path = files["folder"] / "flipped.h5"
    path.write_bytes(data)
    if data == files[version]:  # the same bit flipped twice
        assert loads_or_refuses(path) is not None
    elif version != "v1":
        with pytest.raises(ValueError, match=str(path)):
            load_model(path)
    else:
        loads_or_refuses(path)


#: Every attribute of the file: (object, name).
ATTRIBUTES = [
    ("/", name)
    for name in ("skdnn_format", "format_version", "skdnn_version", "estimator")
] + [
    ("/", "params"),
    ("/fitted", "n_iter_"),
    ("/fitted", "n_features_in_"),
    ("/fitted", "n_layers_"),
    ("/fitted", "n_outputs_"),
    ("/fitted", "out_activation_"),
    ("/fitted", "t_"),
    ("/fitted", "best_validation_loss_"),
    ("/fitted/classes_", "dtype"),
]

_VALUES = st.one_of(
    st.integers(-(2**63), 2**63 - 1),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.text(max_size=40),
    st.binary(max_size=40),
    st.sampled_from(
        [
            "softmax",
            "identity",
            "object",
            "<U300000000",
            "<U1",
            "|b1",
            "<f8",
            "DeepBinaryClassifier",
            "LogisticRegressionGD",
            '{"hidden_layer_sizes": {"tuple": [4, 3]}}',
            '{"hidden_layer_sizes": {"tuple": [3, 4]}, "activation": "tanh"}',
            '{"activation": "relu"}',
            "[" * 50 + "]" * 50,
            '{"dict": {"dict": 1}}',
        ]
    ),
    st.lists(st.integers(-3, 3), min_size=0, max_size=4).map(np.array),
)

#: Datasets that may be replaced by random arrays.
DATASETS = [
    "fitted/coefs_/0",
    "fitted/coefs_/2",
    "fitted/intercepts_/1",
    "fitted/classes_",
    "fitted/loss_curve_",
    "fitted/validation_scores_",
    "fitted/feature_names_in_",
]

_ARRAYS = st.one_of(
    st.lists(st.floats(allow_nan=True, allow_infinity=True), max_size=30).map(np.array),
    st.tuples(st.integers(0, 6), st.integers(0, 6), st.floats(-1e300, 1e300)).map(
        lambda t: np.full(t[:2], t[2])
    ),
    st.lists(st.integers(-2, 2), max_size=4).map(lambda v: np.array(v, np.int64)),
    st.lists(st.text(max_size=5), max_size=6).map(
        lambda v: np.array(v, dtype=h5py.string_dtype())
    ),
)


def _replace(f, change):
    kind, target, value = change
    if kind == "attribute":
        where, name = target
        f[where].attrs[name] = value
    else:
        attrs = dict(f[target].attrs)
        del f[target]
        f.create_dataset(target, data=value)
        f[target].attrs.update(attrs)


@EXAMPLES
@given(
    changes=st.lists(
        st.one_of(
            st.tuples(st.just("attribute"), st.sampled_from(ATTRIBUTES), _VALUES),
            st.tuples(st.just("dataset"), st.sampled_from(DATASETS), _ARRAYS),
        ),
        min_size=1,
        max_size=3,
    )
)
def test_replaced_contents_load_or_are_refused(files, changes):
    """On a version-1 file (no checksum) every value is judged on its own."""
    path = files["folder"] / "replaced.h5"
    path.write_bytes(files["v1"])
    with h5py.File(path, "r+") as f:
        for change in changes:
            _replace(f, change)
    loads_or_refuses(path)


#: The items of /preprocessing: its attributes, and datasets that may be
#: replaced by random arrays.
ENCODER_ATTRIBUTES = [
    ("/preprocessing", "params"),
    ("/preprocessing", "n_features_in_"),
]
ENCODER_DATASETS = [
    "preprocessing/numeric_columns_",
    "preprocessing/fill_values_",
    "preprocessing/categorical_columns_",
    "preprocessing/categories_/0",
    "preprocessing/categories_/1",
    "preprocessing/feature_names_in_",
    "fitted/coefs_/0",
]

_ENCODER_VALUES = st.one_of(
    _VALUES,
    st.integers(-2, 12),
    st.sampled_from(
        [
            '{"max_categories": null}',
            '{"max_categories": 1}',
            '{"max_categories": 0}',
            '{"max_categories": 2.5}',
            '{"scale": 1}',
        ]
    ),
)

_ENCODER_ARRAYS = st.one_of(
    _ARRAYS,
    st.lists(st.integers(-1, 4), max_size=4).map(lambda v: np.array(v, np.int64)),
    st.lists(st.integers(0, 3), max_size=3).map(lambda v: np.array(v, np.int32)),
    st.lists(st.sampled_from(["", "lima", "oslo", "rome", "é"]), max_size=4).map(
        lambda v: np.array(v, dtype=h5py.string_dtype())
    ),
)


@EXAMPLES
@given(
    changes=st.lists(
        st.one_of(
            st.tuples(
                st.just("attribute"),
                st.sampled_from(ENCODER_ATTRIBUTES),
                _ENCODER_VALUES,
            ),
            st.tuples(
                st.just("dataset"), st.sampled_from(ENCODER_DATASETS), _ENCODER_ARRAYS
            ),
        ),
        min_size=1,
        max_size=3,
    )
)
def test_replaced_encoder_contents_load_or_are_refused(files, changes):
    """A pipeline file's encoder items replaced, the checksum check switched
    off (version 3 has no file without one): every value is judged on its
    own."""
    path = files["folder"] / "replaced-v3.h5"
    path.write_bytes(files["v3"])
    with h5py.File(path, "r+") as f:
        for change in changes:
            _replace(f, change)
    with mock.patch.object(persistence, "_verify_checksum", lambda model, values: None):
        model = loads_or_refuses(path)
    if model is not None:  # a TabularEncoder that fit could have made
        encoder = model[0]
        positions = np.concatenate(
            [encoder.numeric_columns_, encoder.categorical_columns_]
        )
        assert sorted(positions.tolist()) == list(range(encoder.n_features_in_))
        width = len(encoder.numeric_columns_) + sum(map(len, encoder.categories_))
        assert width == model[-1].n_features_in_


def test_external_storage_of_a_secret_is_refused(files):
    """A dataset whose data lies in another file is refused, and nothing of
    that file shows in the error."""
    folder = files["folder"]
    secret = folder / "secret.bin"
    secret.write_bytes(b"TOP-SECRET-" * 20)
    path = folder / "external.h5"
    path.write_bytes(files["v1"])
    with h5py.File(path, "r+") as f:
        del f["fitted/loss_curve_"]
        f.create_dataset(
            "fitted/loss_curve_", shape=(20,), dtype="f8", external=[(secret, 0, 160)]
        )
    with pytest.raises(ValueError, match="keeps its data in external files") as e:
        load_model(path)
    assert "SECRET" not in str(e.value)
