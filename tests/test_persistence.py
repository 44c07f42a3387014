"""``save_model`` / ``load_model``: exact round trips without pickle, and a
clear error for every kind of damaged or foreign file."""

import hashlib
import json
import os
import re
import shutil
import tracemalloc
import warnings

import h5py
import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import skdnn
from skdnn import (
    DeepBinaryClassifier,
    LogisticRegressionGD,
    load_model,
    persistence,
    save_model,
)
from skdnn.persistence import FORMAT_VERSION, NETWORK_FORMAT_VERSION, _decode, _encode

LABELS = {
    "int": np.array([3, 8]),
    "uint8": np.array([0, 1], dtype=np.uint8),
    "float": np.array([-1.0, 1.0]),
    "float32": np.array([0.0, 2.0], dtype=np.float32),
    "bool": np.array([False, True]),
    "str": np.array(["non-cat", "cat"]),
    "unicode": np.array(["chat", "pas-chat-é"]),
    "object": np.array(["no", "yes"], dtype=object),
}


def make_data(n_samples=40, n_features=5, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.standard_normal((n_samples, n_features))
    y = (X[:, 0] + 0.5 * rng.standard_normal(n_samples) > 0).astype(int)
    return X, y


def make_estimator(kind):
    if kind == "deep":
        return DeepBinaryClassifier(
            (4, 3), activation="tanh", learning_rate=0.1, max_iter=20, random_state=0
        )
    return LogisticRegressionGD(learning_rate=0.1, max_iter=20, alpha=0.3)


def round_trip(estimator, tmp_path, name="model.h5"):
    path = tmp_path / name
    save_model(estimator, path)
    return load_model(path)


@pytest.fixture
def model_file(tmp_path):
    """A saved DeepBinaryClassifier, and the data it was fitted on."""
    X, y = make_data()
    path = tmp_path / "model.h5"
    save_model(make_estimator("deep").fit(X, y), path)
    return path


# -- exact round trips ---------------------------------------------------------------


@pytest.mark.parametrize("kind", ["deep", "logistic"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("with_names", [False, True])
@pytest.mark.parametrize("labels", LABELS)
def test_round_trip_is_exact(tmp_path, kind, dtype, with_names, labels):
    X, y = make_data()
    X = X.astype(dtype)
    if with_names:
        pd = pytest.importorskip("pandas")
        X = pd.DataFrame(X, columns=[f"feature {i} ñ" for i in range(X.shape[1])])
    y = LABELS[labels][y]
    estimator = make_estimator(kind).fit(X, y)

    loaded = round_trip(estimator, tmp_path)

    assert type(loaded) is type(estimator)
    assert loaded.get_params() == estimator.get_params()
    # bit-identical, not merely close
    assert np.array_equal(loaded.predict_proba(X), estimator.predict_proba(X))
    assert np.array_equal(loaded.decision_function(X), estimator.decision_function(X))
    assert np.array_equal(loaded.predict(X), estimator.predict(X))
    assert loaded.classes_.dtype == estimator.classes_.dtype
    assert loaded.classes_.tolist() == estimator.classes_.tolist()
    for restored, saved in zip(
        loaded.coefs_ + loaded.intercepts_,
        estimator.coefs_ + estimator.intercepts_,
        strict=True,
    ):
        assert restored.dtype == saved.dtype == dtype
        assert np.array_equal(restored, saved)
    assert loaded.loss_curve_ == estimator.loss_curve_
    for attr in ("n_iter_", "n_features_in_", "n_layers_", "n_outputs_"):
        assert getattr(loaded, attr) == getattr(estimator, attr)
        assert type(getattr(loaded, attr)) is int
    assert loaded.out_activation_ == estimator.out_activation_ == "logistic"
    # every public fitted attribute survives, whatever the version adds
    fitted = sorted(k for k in vars(estimator) if k.endswith("_") and k[0] != "_")
    assert sorted(k for k in vars(loaded) if k.endswith("_") and k[0] != "_") == fitted
    for name in ("validation_loss_curve_", "validation_scores_", "t_"):
        if hasattr(estimator, name):
            assert getattr(loaded, name) == getattr(estimator, name)
    if with_names:
        assert loaded.feature_names_in_.dtype == object
        assert loaded.feature_names_in_.tolist() == estimator.feature_names_in_.tolist()
    else:
        assert not hasattr(loaded, "feature_names_in_")


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_validation_curves_survive(tmp_path):
    X, y = make_data(n_samples=60)
    estimator = make_estimator("deep")
    if "early_stopping" not in estimator.get_params():
        pytest.skip("this version of the estimators has no early stopping")
    estimator.set_params(early_stopping=True, n_iter_no_change=50).fit(X, y)
    assert estimator.validation_scores_  # the case this test is about
    loaded = round_trip(estimator, tmp_path)
    assert loaded.validation_scores_ == estimator.validation_scores_
    assert loaded.validation_loss_curve_ == estimator.validation_loss_curve_


def test_loaded_model_behaves_like_a_fitted_estimator(tmp_path):
    pd = pytest.importorskip("pandas")
    X, y = make_data()
    X = pd.DataFrame(X, columns=list("abcde"))
    loaded = round_trip(make_estimator("deep").fit(X, y), tmp_path)
    assert loaded.score(X, y) > 0.5
    assert loaded.parameters_["W1"].shape == (4, 5)
    # feature names are checked as for the original estimator
    with pytest.raises(ValueError, match="feature names"):
        loaded.predict(X[list("edcba")])
    # and it can be cloned and refit
    refit = clone(loaded).fit(X, y)
    assert np.array_equal(refit.predict_proba(X), loaded.predict_proba(X))


def test_logistic_coef_survives(tmp_path):
    X, y = make_data()
    estimator = LogisticRegressionGD(max_iter=30).fit(X, y)
    loaded = round_trip(estimator, tmp_path)
    assert np.array_equal(loaded.coef_, estimator.coef_)
    assert np.array_equal(loaded.intercept_, estimator.intercept_)


def test_file_layout(model_file):
    """The documented layout: readable with plain h5py, no pickled objects."""
    with h5py.File(model_file, "r") as f:
        assert f.attrs["skdnn_format"] == "skdnn.model"
        # a network alone is written as version 2, which older skdnn reads
        assert f.attrs["format_version"] == NETWORK_FORMAT_VERSION == 2
        assert FORMAT_VERSION == 3
        assert re.fullmatch(r"[0-9a-f]{64}", f.attrs["sha256"])
        assert f.attrs["skdnn_version"] == skdnn.__version__
        assert f.attrs["estimator"] == "DeepBinaryClassifier"
        params = json.loads(f.attrs["params"])
        assert params["hidden_layer_sizes"] == {"tuple": [4, 3]}
        assert params["activation"] == "tanh"
        assert sorted(f["fitted/coefs_"]) == ["0", "1", "2"]
        assert f["fitted/coefs_/0"].shape == (5, 4)
        assert f["fitted/intercepts_/2"].shape == (1,)
        assert f["fitted"].attrs["n_iter_"] == 20
        assert f["fitted/loss_curve_"].shape == (20,)
        for name, obj in f["fitted"].items():
            if isinstance(obj, h5py.Dataset):
                assert obj.dtype.kind in "biufO", name  # no opaque bytes


@pytest.mark.parametrize("sizes", [[3, 2], (3, 2), np.array([3, 2])])
def test_sequence_parameters_keep_their_type(tmp_path, sizes):
    X, y = make_data()
    estimator = DeepBinaryClassifier(sizes, max_iter=5, random_state=0).fit(X, y)
    loaded = round_trip(estimator, tmp_path)
    assert type(loaded.hidden_layer_sizes) is type(sizes)
    assert np.array_equal(loaded.hidden_layer_sizes, sizes)
    assert np.array_equal(loaded.predict_proba(X), estimator.predict_proba(X))


def test_dict_parameters_keep_integer_keys(tmp_path):
    X, y = make_data()
    estimator = make_estimator("logistic")
    if "class_weight" not in estimator.get_params():
        pytest.skip("this version of the estimators has no dict parameter")
    estimator.set_params(class_weight={0: 1.0, 1: 3.0}).fit(X, y)
    loaded = round_trip(estimator, tmp_path)
    assert loaded.class_weight == {0: 1.0, 1: 3.0}
    assert all(type(key) is int for key in loaded.class_weight)


@pytest.mark.parametrize(
    "value",
    [None, True, 3, 0.1, "relu", [1, "a"], (1, (2.5, None)), {0: 1.0, "b": [2]}],
)
def test_parameter_encoding_round_trips(value):
    encoded = json.loads(json.dumps(_encode(value, "p")))
    assert _decode(encoded) == value
    assert type(_decode(encoded)) is type(value)


def test_parameters_that_cannot_be_saved():
    with pytest.raises(TypeError, match="Cannot save the parameter p"):
        _encode(object(), "p")


def test_random_state_instance_is_saved_as_none_with_a_warning(tmp_path):
    X, y = make_data()
    estimator = DeepBinaryClassifier(
        (3,), max_iter=5, random_state=np.random.RandomState(0)
    ).fit(X, y)
    with pytest.warns(UserWarning, match="random_state is a RandomState instance"):
        loaded = round_trip(estimator, tmp_path)
    assert loaded.random_state is None
    assert np.array_equal(loaded.predict_proba(X), estimator.predict_proba(X))


# -- what cannot be saved ------------------------------------------------------------


@pytest.mark.parametrize("kind", ["deep", "logistic"])
def test_saving_an_unfitted_estimator_raises_not_fitted(tmp_path, kind):
    with pytest.raises(NotFittedError):
        save_model(make_estimator(kind), tmp_path / "model.h5")
    assert list(tmp_path.iterdir()) == []


class MyDeepClassifier(DeepBinaryClassifier):
    pass


@pytest.mark.parametrize(
    "estimator, message",
    [
        (LogisticRegression(), "stores only skdnn.s estimators .DeepBinaryClassifier"),
        (
            make_pipeline(StandardScaler(), LogisticRegressionGD(max_iter=5)),
            r"a Pipeline only of exactly two steps, a TabularEncoder then a "
            r"network of skdnn; got a Pipeline of the steps \['StandardScaler', "
            r"'LogisticRegressionGD'\]",
        ),
        (
            MyDeepClassifier((3,), max_iter=5),
            "stores only skdnn.s estimators .DeepBinaryClassifier",
        ),
    ],
    ids=["sklearn", "pipeline", "subclass"],
)
def test_only_the_skdnn_classes_can_be_saved(tmp_path, estimator, message):
    X, y = make_data()
    estimator.fit(X, y)
    with pytest.raises(TypeError, match=message):
        save_model(estimator, tmp_path / "model.h5")
    assert list(tmp_path.iterdir()) == []


def test_failed_save_keeps_the_old_file_and_leaves_no_temporary(
    model_file, monkeypatch
):
    before = model_file.read_bytes()
    X, y = make_data()
    other = make_estimator("logistic").fit(X, y)

    write = persistence._write_value

    def fail(f, key, value):  # half the file is written when the disk fills
        if key == "fitted/classes_":
            raise RuntimeError("disk full")
        write(f, key, value)

    monkeypatch.setattr(persistence, "_write_value", fail)
    with pytest.raises(RuntimeError, match="disk full"):
        save_model(other, model_file)
    assert model_file.read_bytes() == before
    assert [p.name for p in model_file.parent.iterdir()] == ["model.h5"]
    assert isinstance(load_model(model_file), DeepBinaryClassifier)


def test_saving_over_a_file_replaces_it(model_file):
    X, y = make_data()
    save_model(make_estimator("logistic").fit(X, y), model_file)
    assert isinstance(load_model(model_file), LogisticRegressionGD)
    assert [p.name for p in model_file.parent.iterdir()] == ["model.h5"]


# -- damaged and foreign files ------------------------------------------------------


def test_missing_path(tmp_path):
    path = tmp_path / "nowhere" / "model.h5"
    with pytest.raises(FileNotFoundError, match="No skdnn model file at") as excinfo:
        load_model(path)
    assert str(path) in str(excinfo.value)


def test_directory(tmp_path):
    with pytest.raises(IsADirectoryError, match="is a directory"):
        load_model(tmp_path)


def test_plain_text_file(tmp_path):
    path = tmp_path / "model.h5"
    path.write_text('{"estimator": "DeepBinaryClassifier"}\n')
    with pytest.raises(ValueError, match="is not an HDF5 file") as excinfo:
        load_model(path)
    assert str(path) in str(excinfo.value)


def test_empty_file(tmp_path):
    path = tmp_path / "model.h5"
    path.write_bytes(b"")
    with pytest.raises(ValueError, match="is not an HDF5 file"):
        load_model(path)


@pytest.mark.parametrize("keep", [0.9, 0.5, 0.1])
def test_truncated_file(model_file, tmp_path, keep):
    path = tmp_path / "truncated.h5"
    data = model_file.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])
    with pytest.raises(ValueError, match="is damaged") as excinfo:
        load_model(path)
    assert str(path) in str(excinfo.value)
    assert "truncated" in str(excinfo.value)


def test_foreign_hdf5_file(tmp_path):
    path = tmp_path / "weights.h5"
    with h5py.File(path, "w") as f:
        f["train_set_x"] = np.zeros((2, 4))
        f.attrs["estimator"] = "DeepBinaryClassifier"
    with pytest.raises(ValueError, match="is an HDF5 file but not an skdnn model") as e:
        load_model(path)
    assert str(path) in str(e.value)


def test_newer_format_version(model_file):
    with h5py.File(model_file, "r+") as f:
        f.attrs["format_version"] = FORMAT_VERSION + 1
    newer = f"format version {FORMAT_VERSION + 1}"
    with pytest.raises(ValueError, match=newer) as excinfo:
        load_model(model_file)
    message = str(excinfo.value)
    assert str(model_file) in message
    assert f"reads format versions 1 to {FORMAT_VERSION}" in message
    assert "Upgrade skdnn" in message


@pytest.mark.parametrize("value", [0, "1", 1.0])
def test_invalid_format_version(model_file, value):
    with h5py.File(model_file, "r+") as f:
        f.attrs["format_version"] = value
    with pytest.raises(ValueError, match=str(model_file)):
        load_model(model_file)


@pytest.mark.parametrize(
    "dataset",
    [
        "fitted/coefs_/1",
        "fitted/intercepts_/0",
        "fitted/classes_",
        "fitted/loss_curve_",
        "fitted/coefs_",
        "fitted",
    ],
)
def test_missing_arrays(model_file, dataset):
    with h5py.File(model_file, "r+") as f:
        del f[dataset]
    with pytest.raises(ValueError, match="not a valid skdnn model file") as excinfo:
        load_model(model_file)
    assert str(model_file) in str(excinfo.value)
    assert dataset.split("/")[-1] in str(excinfo.value)


@pytest.mark.parametrize("attr", ["n_iter_", "n_features_in_", "out_activation_"])
def test_missing_scalar_attributes(model_file, attr):
    with h5py.File(model_file, "r+") as f:
        del f["fitted"].attrs[attr]
    with pytest.raises(ValueError, match=f"has no attribute '{attr}'"):
        load_model(model_file)


@pytest.mark.parametrize("attr", ["estimator", "params", "skdnn_format"])
def test_missing_root_attributes(model_file, attr):
    with h5py.File(model_file, "r+") as f:
        del f.attrs[attr]
    with pytest.raises(ValueError, match=str(model_file)):
        load_model(model_file)


def test_arrays_that_do_not_form_the_network(model_file):
    with h5py.File(model_file, "r+") as f:
        del f["fitted/coefs_/1"]
        f["fitted/coefs_/1"] = np.zeros((4, 7))
    with pytest.raises(ValueError, match=r"do not fit a network of layer sizes"):
        load_model(model_file)


def test_weights_of_mixed_dtypes(model_file):
    with h5py.File(model_file, "r+") as f:
        weights = f["fitted/coefs_/0"][()]
        del f["fitted/coefs_/0"]
        f["fitted/coefs_/0"] = weights.astype(np.float32)
    with pytest.raises(ValueError, match="float32 or all float64"):
        load_model(model_file)


def test_n_layers_inconsistent_with_the_weights(model_file):
    with h5py.File(model_file, "r+") as f:
        f["fitted"].attrs["n_layers_"] = 3
    with pytest.raises(ValueError, match="n_layers_ is 3 for a network of layer sizes"):
        load_model(model_file)


@pytest.mark.parametrize(
    "name", ["Pipeline", "os.system", "skdnn.DeepBinaryClassifier", "MyDeepClassifier"]
)
def test_only_registered_classes_are_loaded(model_file, name, monkeypatch):
    imported = []
    monkeypatch.setattr(
        "importlib.import_module", lambda *a, **k: imported.append(a) or None
    )
    with h5py.File(model_file, "r+") as f:
        f.attrs["estimator"] = name
    with pytest.raises(ValueError, match=f"names the estimator '{name}'") as excinfo:
        load_model(model_file)
    assert "DeepBinaryClassifier, LogisticRegressionGD" in str(excinfo.value)
    assert imported == []


def test_params_of_the_other_class_are_rejected(model_file):
    """A DeepBinaryClassifier's parameters do not fit LogisticRegressionGD."""
    with h5py.File(model_file, "r+") as f:
        f.attrs["estimator"] = "LogisticRegressionGD"
    with pytest.raises(ValueError, match="not valid for LogisticRegressionGD") as e:
        load_model(model_file)
    assert "no parameter 'activation'" in str(e.value)
    assert "'hidden_layer_sizes'" in str(e.value)


@pytest.mark.parametrize(
    "change, message",
    [
        ({"learning_rate": -1}, "learning_rate"),
        ({"activation": "softmax"}, "activation"),
        ({"hidden_layer_sizes": [4, 0]}, "hidden_layer_sizes"),
        ({"max_iter": "many"}, "max_iter"),
        ({"__class__": "os.system"}, "no parameter '__class__'"),
        ({"activation__x": 1}, "no parameter 'activation__x'"),
        ({"coefs_": [1.0]}, "no parameter 'coefs_'"),
    ],
)
def test_invalid_params_are_rejected(model_file, change, message):
    with h5py.File(model_file, "r+") as f:
        params = json.loads(f.attrs["params"])
        params.update(change)
        f.attrs["params"] = json.dumps(params)
    with pytest.raises(ValueError, match="parameters are not valid for") as excinfo:
        load_model(model_file)
    assert message in str(excinfo.value)


@pytest.mark.parametrize(
    "params",
    [
        "{not json",
        "[1, 2]",
        '{"max_iter": {"set": [1]}}',
        '{"class_weight": {"dict": [[[0], 1.0]]}}',
    ],
)
def test_params_that_cannot_be_read(model_file, params):
    with h5py.File(model_file, "r+") as f:
        f.attrs["params"] = params
    with pytest.raises(ValueError, match="params attribute cannot be read"):
        load_model(model_file)


def test_unknown_label_dtype(model_file):
    with h5py.File(model_file, "r+") as f:
        f["fitted/classes_"].attrs["dtype"] = "datetime64[s]"
    with pytest.raises(ValueError, match="fitted/classes_"):
        load_model(model_file)


def test_copy_is_loadable_and_file_is_not_changed_by_loading(model_file, tmp_path):
    copy = tmp_path / "copy.h5"
    shutil.copyfile(model_file, copy)
    before = model_file.read_bytes()
    load_model(model_file)
    assert model_file.read_bytes() == before
    X, _ = make_data()
    assert np.array_equal(
        load_model(copy).predict_proba(X), load_model(model_file).predict_proba(X)
    )


# -- hostile files: only what save_model writes is accepted -------------------------
#
# Each test builds one kind of file that fuzzing or an attacker produces. A file
# that passes every structural check is re-signed (its sha256 recomputed by the
# documented recipe), so that the check under test, not the checksum, refuses it.


def documented_checksum(path):
    """The sha256 of a model file, computed with plain h5py by the recipe of
    the skdnn.persistence docstring (not with skdnn's own code)."""

    def pieces(value):
        if isinstance(value, str):
            return [b"str", value.encode()]
        if isinstance(value, (int, np.integer)):
            return [b"int", str(int(value)).encode()]
        if isinstance(value, (float, np.floating)):
            return [b"float", float(value).hex().encode()]
        shape = ",".join(map(str, value.shape)).encode()
        if value.dtype.kind == "O":
            return [b"strings", shape, *(s.encode() for s in value)]
        return [b"array", value.dtype.str.encode(), shape, value.tobytes()]

    items = []
    with h5py.File(path, "r") as f:
        fitted = f["fitted"]
        for name in ("skdnn_format", "format_version", "skdnn_version"):
            items.append((f"@{name}", f.attrs[name]))
        items += [("@estimator", f.attrs["estimator"]), ("@params", f.attrs["params"])]
        for name in persistence.SCALARS:
            if name in fitted.attrs:
                items.append((f"fitted@{name}", fitted.attrs[name]))
        for group in ("coefs_", "intercepts_"):
            for layer in range(len(fitted[group])):
                path_ = f"fitted/{group}/{layer}"
                items.append((path_, f[path_][()]))
        classes = fitted["classes_"]
        stored = classes.asstr()[()] if classes.dtype.kind == "O" else classes[()]
        items.append(("fitted/classes_", stored))
        items.append(("fitted/classes_@dtype", classes.attrs["dtype"]))
        for name in (*persistence.CURVES, "feature_names_in_"):
            if name in fitted:
                dataset = fitted[name]
                value = (
                    dataset.asstr()[()] if dataset.dtype.kind == "O" else dataset[()]
                )
                items.append((f"fitted/{name}", value))
        if "preprocessing" in f:  # format version 3: the TabularEncoder
            group = f["preprocessing"]
            for name in ("params", "n_features_in_"):
                items.append((f"preprocessing@{name}", group.attrs[name]))
            for name in ("numeric_columns_", "fill_values_", "categorical_columns_"):
                items.append((f"preprocessing/{name}", group[name][()]))
            for column in range(len(group["categories_"])):
                path_ = f"preprocessing/categories_/{column}"
                items.append((path_, f[path_].asstr()[()]))
            if "feature_names_in_" in group:
                names = group["feature_names_in_"].asstr()[()]
                items.append(("preprocessing/feature_names_in_", names))
    digest = hashlib.sha256()
    for key, value in items:
        for piece in [key.encode(), *pieces(value)]:
            digest.update(len(piece).to_bytes(8, "little") + piece)
    return digest.hexdigest()


def edit(path, change, resign=False):
    """Apply ``change(f)`` to the model file, then recompute its checksum."""
    with h5py.File(path, "r+") as f:
        change(f)
    if resign:
        with h5py.File(path, "r+") as f:
            f.attrs["sha256"] = documented_checksum(path)


def replace(f, name, data, **kwargs):
    """Put a new dataset in place of ``name``, keeping its attributes."""
    attrs = dict(f[name].attrs) if name in f else {}
    if name in f:
        del f[name]
    dataset = f.create_dataset(name, data=data, **kwargs)
    dataset.attrs.update(attrs)


def refused(path, match):
    """``load_model(path)`` raises a ValueError naming the file and matching."""
    with pytest.raises(ValueError, match=match) as excinfo:
        load_model(path)
    assert str(path) in str(excinfo.value)
    assert "\n" not in str(excinfo.value)
    return str(excinfo.value)


@pytest.fixture
def deep_file(tmp_path):
    """A saved model with every optional member: string labels, feature
    names, validation curves, t_ and best_validation_loss_."""
    pd = pytest.importorskip("pandas")
    X, y = make_data(n_samples=60)
    X = pd.DataFrame(X, columns=list("abcde"))
    estimator = make_estimator("deep").set_params(
        early_stopping=True, n_iter_no_change=50
    )
    with pytest.warns(ConvergenceWarning):
        estimator.fit(X, np.array(["no", "yes"])[y])
    path = tmp_path / "deep.h5"
    save_model(estimator, path)
    return path


@pytest.mark.parametrize("labels", ["int", "bool", "float32", "str", "object"])
@pytest.mark.parametrize("kind", ["deep", "logistic"])
def test_checksum_follows_the_documented_recipe(tmp_path, labels, kind, deep_file):
    X, y = make_data()
    path = tmp_path / "model.h5"
    save_model(make_estimator(kind).fit(X, LABELS[labels][y]), path)
    for saved in (path, deep_file):
        with h5py.File(saved, "r") as f:
            assert f.attrs["sha256"] == documented_checksum(saved)


def test_version_1_file_still_loads(deep_file):
    before = load_model(deep_file)
    edit(
        deep_file,
        lambda f: (f.attrs.__delitem__("sha256"), f.attrs.modify("format_version", 1)),
    )
    loaded = load_model(deep_file)
    X = pytest.importorskip("pandas").DataFrame(make_data()[0], columns=list("abcde"))
    assert np.array_equal(loaded.predict_proba(X), before.predict_proba(X))
    assert loaded.validation_scores_ == before.validation_scores_
    assert loaded.feature_names_in_.tolist() == list("abcde")
    # ... with every other check applied
    edit(deep_file, lambda f: f["fitted/coefs_/0"].__setitem__((0, 0), np.nan))
    refused(deep_file, "coefs_/0 holds NaN or infinite values")


def test_version_1_file_with_a_checksum_attribute_is_refused(deep_file):
    edit(deep_file, lambda f: f.attrs.modify("format_version", 1))
    refused(deep_file, r"attributes \['sha256'\] that model files do not have")


def weight_offset(path, name="fitted/coefs_/0"):
    with h5py.File(path, "r") as f:
        return f[name].id.get_offset()


@pytest.mark.parametrize("bit", [0, 17, 51])  # mantissa bits: still finite
def test_bit_flip_in_the_weights_is_refused_by_the_checksum(model_file, bit):
    data = bytearray(model_file.read_bytes())
    data[weight_offset(model_file) + bit // 8] ^= 1 << (bit % 8)
    model_file.write_bytes(data)
    refused(model_file, "is damaged: checksum mismatch")


def test_changed_parameter_is_refused_by_the_checksum(model_file):
    def change(f):
        params = json.loads(f.attrs["params"])
        params["learning_rate"] = 0.2  # valid, but not what was saved
        f.attrs["params"] = json.dumps(params)

    edit(model_file, change)
    refused(model_file, "is damaged: checksum mismatch")


def test_version_2_file_without_checksum_is_refused(model_file):
    edit(model_file, lambda f: f.attrs.__delitem__("sha256"))
    refused(
        model_file, r"is damaged: checksum mismatch \(its sha256 attribute is missing"
    )


# -- reading outside the file, following links, hanging


def test_external_storage_is_refused_and_not_read(model_file, tmp_path):
    secret = tmp_path / "secret.bin"
    secret.write_bytes(np.full(20, 0.123456789).tobytes())  # a loss curve, if read

    def change(f):
        del f["fitted/loss_curve_"]
        f.create_dataset(
            "fitted/loss_curve_", shape=(20,), dtype="f8", external=[(secret, 0, 160)]
        )

    edit(model_file, change, resign=True)
    message = refused(
        model_file, "/fitted/loss_curve_ keeps its data in external files"
    )
    assert "0.1234" not in message and str(secret) not in message


def test_external_link_is_refused(model_file, tmp_path):
    other = tmp_path / "other.h5"
    with h5py.File(other, "w") as f:
        f["curve"] = np.zeros(20)

    def change(f):
        del f["fitted/loss_curve_"]
        f["fitted/loss_curve_"] = h5py.ExternalLink(str(other), "/curve")

    edit(model_file, change)
    refused(model_file, "/fitted/loss_curve_ is an external link")


def test_soft_link_loop_is_refused(model_file):
    def change(f):
        del f["fitted/coefs_/0"]
        f["fitted/coefs_/0"] = h5py.SoftLink("/fitted/coefs_/0")  # to itself

    edit(model_file, change)
    refused(model_file, "/fitted/coefs_/0 is a soft link")


def test_soft_link_to_a_real_array_is_refused(model_file):
    def change(f):
        del f["fitted/loss_curve_"]
        f["fitted/loss_curve_"] = h5py.SoftLink("/fitted/validation_loss_curve_")

    edit(model_file, change)
    refused(model_file, "/fitted/loss_curve_ is a soft link")


def test_fifo_as_the_model_file_is_refused_without_opening_it(tmp_path):
    fifo = tmp_path / "model.h5"
    os.mkfifo(fifo)  # opening it for reading would block forever
    with pytest.raises(ValueError, match="is not a regular file") as excinfo:
        load_model(fifo)
    assert str(fifo) in str(excinfo.value)


def test_global_heap_that_hdf5_would_loop_on_is_refused(model_file):
    """Fuzzing found a byte flip that makes HDF5 2.0 loop forever reading a
    string: a global heap object of size 0. The bytes are checked first."""
    data = bytearray(model_file.read_bytes())
    heap = data.index(b"GCOL")
    data[heap + 16 + 8 : heap + 16 + 16] = bytes(8)  # the first object: size 0 ...
    data[heap + 16 : heap + 18] = bytes(2)  # ... and index 0 (free space)
    model_file.write_bytes(data)
    refused(model_file, "global heap collection at byte .* impossible size 0")


# -- unknown members, storage, sizes


@pytest.mark.parametrize(
    "change, message",
    [
        (
            lambda f: f.create_dataset("fitted/extra", data=[1.0]),
            "/fitted/extra is not",
        ),
        (lambda f: f.create_group("extra"), "/ has 2 members; a model file has at"),
        (lambda f: f.create_dataset("fitted/coefs_/3", data=[[1.0]]), "members"),
        (lambda f: f["fitted/coefs_/0"].attrs.create("note", 1), r"\['note'\]"),
        (lambda f: f.attrs.create("pickle", "x"), r"\['pickle'\]"),
        (lambda f: f["fitted"].attrs.create("coef_", 1.0), r"\['coef_'\]"),
    ],
    ids=["dataset", "group", "layer", "dataset-attr", "root-attr", "fitted-attr"],
)
def test_unknown_members_and_attributes_are_refused(model_file, change, message):
    edit(model_file, change, resign=True)
    refused(model_file, message)


def test_filters_are_refused(model_file):
    edit(
        model_file,
        lambda f: replace(
            f, "fitted/coefs_/0", f["fitted/coefs_/0"][()], compression="gzip"
        ),
        resign=True,
    )
    refused(model_file, "stored through filters")


def test_compact_storage_is_refused(model_file):
    def change(f):
        weights = f["fitted/coefs_/0"][()]
        del f["fitted/coefs_/0"]
        space = h5py.h5s.create_simple(weights.shape)
        plist = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
        plist.set_layout(h5py.h5d.COMPACT)
        dsid = h5py.h5d.create(
            f["fitted/coefs_"].id, b"0", h5py.h5t.IEEE_F64LE, space, dcpl=plist
        )
        dsid.write(h5py.h5s.ALL, h5py.h5s.ALL, weights)

    edit(model_file, change, resign=True)
    refused(model_file, "has compact storage")


def test_virtual_dataset_is_refused(model_file, tmp_path):
    source = tmp_path / "source.h5"
    with h5py.File(source, "w") as f:
        f["curve"] = np.zeros(20)

    def change(f):
        layout = h5py.VirtualLayout(shape=(20,), dtype="f8")
        layout[:] = h5py.VirtualSource(str(source), "curve", shape=(20,))
        del f["fitted/loss_curve_"]
        f.create_virtual_dataset("fitted/loss_curve_", layout)

    edit(model_file, change)
    refused(model_file, "/fitted/loss_curve_ has virtual storage")


def test_chunked_storage_is_accepted(model_file):
    X, _ = make_data()
    before = load_model(model_file).predict_proba(X)
    edit(
        model_file,
        lambda f: replace(
            f, "fitted/coefs_/0", f["fitted/coefs_/0"][()], chunks=(2, 2)
        ),
    )
    assert np.array_equal(load_model(model_file).predict_proba(X), before)


@pytest.mark.parametrize("n_iter", [20, 10**12])
def test_huge_declared_dataset_is_refused_without_allocating(model_file, n_iter):
    def change(f):
        del f["fitted/loss_curve_"]
        f.create_dataset("fitted/loss_curve_", shape=(10**12,), dtype="f8")  # no data
        f["fitted"].attrs["n_iter_"] = n_iter

    edit(model_file, change)
    tracemalloc.start()
    try:
        refused(model_file, "declares 8000000000000 bytes of data, more than the whole")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 10 * 2**20


def test_dataset_without_its_data_is_refused(model_file):
    def change(f):
        del f["fitted/loss_curve_"]
        f.create_dataset("fitted/loss_curve_", shape=(20,), dtype="f8")  # never written

    edit(model_file, change, resign=True)
    refused(model_file, "/fitted/loss_curve_ declares 160 bytes but stores 0")


@pytest.mark.parametrize("name", ["skdnn_version", "params"])
def test_fixed_length_string_attribute_is_refused_before_it_is_read(
    model_file, monkeypatch, name
):
    """An attribute's dtype is checked before its value is read: a
    fixed-length string (save_model writes variable-length ones) of any
    size is refused without being read."""
    edit(model_file, lambda f: f.attrs.create(name, b"0.1.0", dtype="S60000"))
    read = []
    getitem = h5py.AttributeManager.__getitem__

    def spy(self, key):
        read.append(key)
        return getitem(self, key)

    monkeypatch.setattr(h5py.AttributeManager, "__getitem__", spy)
    refused(model_file, f"'{name}' of / should be a string; it is stored as |S60000")
    assert name not in read


def test_new_style_object_headers_are_refused(model_file, tmp_path):
    """Files of libver='latest' (version-2 object headers, where attributes
    of any size go to a fractal heap) are not what save_model writes."""
    latest = tmp_path / "latest.h5"
    with h5py.File(model_file, "r") as f, h5py.File(latest, "w", libver="latest") as g:
        for name, value in f.attrs.items():
            g.attrs[name] = value
        f.copy("fitted", g)
    refused(latest, "does not have a version-1 object header")


def test_huge_label_dtype_is_refused_without_allocating(deep_file):
    edit(deep_file, lambda f: f["fitted/classes_"].attrs.modify("dtype", "<U300000000"))
    tracemalloc.start()
    try:
        refused(deep_file, "recorded as dtype '<U300000000', which cannot be restored")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 10 * 2**20


def test_long_strings_are_refused(deep_file):
    long = "x" * (persistence.MAX_STRING_LENGTH + 1)
    edit(
        deep_file,
        lambda f: replace(
            f,
            "fitted/feature_names_in_",
            np.array(list("abcd") + [long], dtype=object),
            dtype=h5py.string_dtype(),
        ),
        resign=True,
    )
    refused(deep_file, "feature_names_in_ holds strings longer than 4096 characters")


# -- params


@pytest.mark.parametrize(
    "text, message",
    [
        ("[" * 100_000 + "]" * 100_000, "nests deeper than 32 levels"),
        ('{"activation": ' + "[" * 33 + "]" * 33 + "}", "nests deeper than 32 levels"),
        ('{"dict": ' * 5000 + "1" + "}" * 5000, "nests deeper than 32 levels"),
        ('{"max_iter": ' + "9" * 5000 + "}", "params attribute cannot be read"),
    ],
    ids=["arrays", "in-a-value", "objects", "huge-int"],
)
def test_deeply_nested_or_huge_json_is_refused(model_file, text, message):
    edit(model_file, lambda f: f.attrs.modify("params", text))
    refused(model_file, message)


def test_brackets_inside_json_strings_do_not_count_as_depth(model_file):
    def change(f):
        params = json.loads(f.attrs["params"])
        params["activation"] = "[[[[" * 20  # a string: checked as a parameter
        f.attrs["params"] = json.dumps(params)

    edit(model_file, change)
    refused(model_file, "parameters are not valid for DeepBinaryClassifier")


def test_too_long_params_are_refused(model_file):
    text = json.dumps({"verbose": 0, "x": " " * persistence.MAX_PARAMS_LENGTH})
    edit(model_file, lambda f: f.attrs.modify("params", text))
    refused(model_file, "'params' of / is not a string of at most 1000000 characters")


def test_parameters_that_load_model_would_refuse_are_not_saved(tmp_path):
    X, y = make_data()
    estimator = make_estimator("logistic").fit(X, y)
    nested = 0
    for _ in range(40):
        nested = [nested]
    estimator.set_params(verbose=nested)  # only validated by the next fit
    with pytest.raises(ValueError, match="nest deeper than 32"):
        save_model(estimator, tmp_path / "model.h5")
    assert list(tmp_path.iterdir()) == []


# -- values that load but are wrong


def set_value(name, index, value):
    return lambda f: f[name].__setitem__(index, value)


@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize(
    "name, index",
    [("fitted/coefs_/1", (0, 0)), ("fitted/intercepts_/2", 0)],
)
def test_non_finite_weights_are_refused(model_file, name, index, value):
    edit(model_file, set_value(name, index, value), resign=True)
    refused(model_file, f"/{name} holds NaN or infinite values")


@pytest.mark.parametrize(
    "labels, dtype, message",
    [
        ([1, 1], "<i8", r"labels \[1, 1\]; they should be distinct"),
        ([1, 0], "<i8", r"labels \[1, 0\]; they should be distinct, finite and sorted"),
        ([0.0, np.nan], "<f8", "distinct, finite and sorted"),
        ([-np.inf, 0.0], "<f8", "distinct, finite and sorted"),
        (["ab", "ac"], "<U1", "holds labels longer than its dtype <U1"),  # collapse
        (["b", "a"], "object", "distinct, finite and sorted"),
        ([0, 1], "<f8", "holds int64 labels recorded as dtype '<f8'"),
    ],
    ids=["duplicate", "unsorted", "nan", "inf", "collapsed", "unsorted-str", "dtype"],
)
def test_wrong_classes_are_refused(model_file, labels, dtype, message):
    def change(f):
        data = np.asarray(labels)
        kwargs = {"dtype": h5py.string_dtype()} if data.dtype.kind == "U" else {}
        replace(f, "fitted/classes_", data.astype(object) if kwargs else data, **kwargs)
        f["fitted/classes_"].attrs["dtype"] = dtype

    edit(model_file, change, resign=True)
    refused(model_file, message)


@pytest.mark.parametrize("shape", [(1,), (3,), (2, 1)])
def test_not_two_classes_is_refused(model_file, shape):
    edit(
        model_file,
        lambda f: replace(
            f, "fitted/classes_", np.arange(np.prod(shape)).reshape(shape)
        ),
        resign=True,
    )
    refused(model_file, "/fitted/classes_ should hold 2 labels")


@pytest.mark.parametrize(
    "name, value, message",
    [
        ("n_iter_", -7, "n_iter_ is -7; a count cannot be negative"),
        ("n_iter_", 21, "loss_curve_ has 20 entries for n_iter_ = 21"),
        ("n_iter_", 19, "loss_curve_ has 20 entries for n_iter_ = 19"),
        ("t_", -1, "t_ is -1; a count cannot be negative"),
        ("n_outputs_", 3, "n_outputs_ is 3; a DeepBinaryClassifier with 'logistic'"),
        ("n_outputs_", 0, "n_outputs_ is 0"),
        ("out_activation_", "softmax", "out_activation_ is 'softmax'; a Deep"),
        ("n_features_in_", 0, "n_features_in_ is 0"),
        ("n_features_in_", 6, "do not fit a network of layer sizes"),
        ("best_validation_loss_", np.nan, "best_validation_loss_ is nan"),
        ("n_iter_", 2.0, "'n_iter_' of /fitted should be an integer"),
        ("n_iter_", True, "'n_iter_' of /fitted should be an integer"),
        ("n_layers_", np.array([4, 4]), "'n_layers_' of /fitted should be an integer"),
        ("out_activation_", b"logistic", "'out_activation_' of /fitted should be a"),
        ("out_activation_", np.array("logistic", "S8"), "of /fitted should be a"),
    ],
)
def test_inconsistent_scalars_are_refused(model_file, name, value, message):
    edit(model_file, lambda f: f["fitted"].attrs.__setitem__(name, value), resign=True)
    refused(model_file, message)


def test_softmax_output_on_a_logistic_regression_is_refused(tmp_path):
    X, y = make_data()
    path = tmp_path / "model.h5"
    save_model(make_estimator("logistic").fit(X, y), path)
    edit(path, lambda f: f["fitted"].attrs.modify("out_activation_", "softmax"), True)
    refused(
        path, "out_activation_ is 'softmax'; a LogisticRegressionGD has a 'logistic'"
    )


@pytest.mark.parametrize(
    "change, message",
    [
        (
            lambda f: replace(f, "fitted/validation_scores_", np.full(21, 0.5)),
            "validation_scores_ has 21 entries for n_iter_ = 20",
        ),
        (
            lambda f: replace(f, "fitted/validation_scores_", np.full(3, 0.5)),
            "validation curves have different lengths",
        ),
        (
            lambda f: f["fitted/validation_scores_"].__setitem__(0, 1.5),
            r"validation_scores_ are not accuracies in \[0, 1\]",
        ),
        (
            lambda f: f["fitted/loss_curve_"].__setitem__(0, np.nan),
            "/fitted/loss_curve_ holds NaN or infinite values",
        ),
        (
            lambda f: replace(f, "fitted/loss_curve_", np.zeros(20, np.float32)),
            "/fitted/loss_curve_ should be a 1-D float64 array",
        ),
    ],
    ids=["too-long", "lengths", "accuracy", "nan", "float32"],
)
def test_wrong_curves_are_refused(deep_file, change, message):
    edit(deep_file, change, resign=True)
    refused(deep_file, message)


# -- whatever h5py or numpy raise becomes a ValueError naming the file


@pytest.mark.parametrize(
    "error",
    [
        OSError("bad object header"),
        RuntimeError("unable to traverse"),
        KeyError("unknown"),
        TypeError("no NumPy equivalent"),
        MemoryError(),
        RecursionError("too deep"),
        UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte"),
        IndexError("out of range"),
    ],
    ids=lambda error: type(error).__name__,
)
def test_errors_while_reading_become_value_errors(model_file, monkeypatch, error):
    def fail(self, *args, **kwargs):
        raise error

    monkeypatch.setattr(h5py.Dataset, "__getitem__", fail)
    message = refused(model_file, "is damaged")
    assert type(error).__name__ in message or "HDF5 cannot read it" in message


@pytest.mark.parametrize(
    "kind", ["multiclass", "multilabel", "regressor", "relu-2-outputs"]
)
def test_the_new_estimators_round_trip(tmp_path, kind):
    """DeepClassifier (softmax, multilabel) and DeepRegressor files load with
    bit-identical predictions and the MLP summaries of the history."""
    from sklearn.datasets import load_iris, make_multilabel_classification

    from skdnn import DeepClassifier, DeepRegressor

    X, y = load_iris(return_X_y=True)
    params = {"hidden_layer_sizes": (5,), "max_iter": 5, "random_state": 0}
    if kind == "multiclass":
        model = DeepClassifier(early_stopping=True, **params).fit(X, y)
    elif kind == "multilabel":
        X, y = make_multilabel_classification(n_samples=60, random_state=0)
        model = DeepClassifier(**params).fit(X, y)
    elif kind == "regressor":
        model = DeepRegressor(**params).fit(X, y.astype(float))
    else:
        Y = np.column_stack([y, 2 * y]).astype(float)
        model = DeepRegressor(out_activation="relu", **params).fit(X, Y)
    save_model(model, tmp_path / "m.h5")
    loaded = load_model(tmp_path / "m.h5")
    predict = "predict" if kind.startswith(("regressor", "relu")) else "predict_proba"
    np.testing.assert_array_equal(
        getattr(loaded, predict)(X), getattr(model, predict)(X)
    )
    for name in ("loss_", "best_loss_", "best_validation_score_", "out_activation_"):
        assert getattr(loaded, name) == getattr(model, name), name


# -- pipelines: a TabularEncoder stored as data (format version 3) -----------------


def mixed_rows(n_samples=60, seed=0):
    """Raw table rows as a CSV file gives them: numbers and strings, with
    missing values in both, and a target of two string labels."""
    pd = pytest.importorskip("pandas")
    rng = np.random.RandomState(seed)
    X = pd.DataFrame(
        {
            "age": rng.uniform(18, 80, n_samples).round(),
            "city": rng.choice(["rome", "oslo", "lima", "são paulo"], n_samples),
            "rooms": rng.randint(1, 6, n_samples),
            "member": rng.rand(n_samples) < 0.5,
        }
    )
    y = np.where((X["city"] == "rome") | (X["age"] > 60), "yes", "no")
    X.loc[rng.rand(n_samples) < 0.15, "age"] = np.nan
    X.loc[rng.rand(n_samples) < 0.15, "city"] = None
    return X, y


def make_network(kind):
    from skdnn import DeepClassifier, DeepRegressor

    params = {"max_iter": 30, "random_state": 0}
    return {
        "deep": lambda: DeepBinaryClassifier((4, 3), learning_rate=0.1, **params),
        "logistic": lambda: LogisticRegressionGD(learning_rate=0.1, max_iter=30),
        "classifier": lambda: DeepClassifier((5,), solver="lbfgs", **params),
        "regressor": lambda: DeepRegressor((5,), solver="lbfgs", **params),
    }[kind]()


def fit_pipeline(kind="classifier", X=None, y=None):
    from skdnn.preprocessing import TabularEncoder

    if X is None:
        X, y = mixed_rows()
    if kind == "regressor":
        y = (y == "yes").astype(float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # a few iterations
        return make_pipeline(TabularEncoder(), make_network(kind)).fit(X, y)


@pytest.fixture
def pipeline_file(tmp_path):
    """A saved pipeline of a TabularEncoder (fit on a DataFrame: with
    feature names) and a DeepClassifier."""
    path = tmp_path / "pipeline.h5"
    save_model(fit_pipeline(), path)
    return path


def encoder_attributes(encoder):
    return {k: v for k, v in vars(encoder).items() if k.endswith("_")}


def assert_same_encoder(loaded, saved):
    assert type(loaded) is type(saved)
    assert loaded.get_params() == saved.get_params()
    fitted, expected = encoder_attributes(loaded), encoder_attributes(saved)
    assert sorted(fitted) == sorted(expected)
    for name in ("numeric_columns_", "fill_values_", "categorical_columns_"):
        assert fitted[name].dtype == expected[name].dtype, name
        assert np.array_equal(fitted[name], expected[name]), name
    assert [c.dtype for c in fitted["categories_"]] == [object] * len(
        expected["categories_"]
    )
    assert [c.tolist() for c in fitted["categories_"]] == [
        c.tolist() for c in expected["categories_"]
    ]
    assert type(fitted["n_features_in_"]) is int
    assert fitted["n_features_in_"] == expected["n_features_in_"]
    if "feature_names_in_" in expected:
        assert fitted["feature_names_in_"].dtype == object
        assert (
            fitted["feature_names_in_"].tolist()
            == expected["feature_names_in_"].tolist()
        )


@pytest.mark.parametrize("kind", ["deep", "logistic", "classifier", "regressor"])
@pytest.mark.parametrize("as_frame", [True, False])
def test_pipeline_round_trip_is_exact(tmp_path, kind, as_frame):
    X, y = mixed_rows()
    if not as_frame:
        X = X.to_numpy(dtype=object)
    pipeline = fit_pipeline(kind, X, y)
    loaded = round_trip(pipeline, tmp_path)

    assert type(loaded).__name__ == "Pipeline"
    assert [name for name, _ in loaded.steps] == [
        "tabularencoder",
        type(pipeline[-1]).__name__.lower(),
    ]
    assert_same_encoder(loaded[0], pipeline[0])
    assert type(loaded[-1]) is type(pipeline[-1])
    assert loaded[-1].get_params() == pipeline[-1].get_params()
    # on raw rows, new ones too (unseen categories, missing values): bit for bit
    new, _ = mixed_rows(40, seed=1)
    new.loc[:4, "city"] = "paris"
    new = new if as_frame else new.to_numpy(dtype=object)
    for rows in (X, new):
        method = "predict" if kind == "regressor" else "predict_proba"
        assert np.array_equal(
            getattr(loaded, method)(rows), getattr(pipeline, method)(rows)
        )
        assert np.array_equal(loaded.predict(rows), pipeline.predict(rows))


@pytest.mark.parametrize("kept", [["age", "rooms"], ["city", "member"]])
def test_pipeline_with_one_kind_of_column_round_trips(tmp_path, kept):
    """Numbers only (no categories_ at all: an empty group) or categories
    only (no numeric column)."""
    X, y = mixed_rows()
    X = X[[name for name in X.columns if name in kept]]
    pipeline = fit_pipeline("classifier", X, y)
    loaded = round_trip(pipeline, tmp_path)
    assert_same_encoder(loaded[0], pipeline[0])
    assert np.array_equal(loaded.predict_proba(X), pipeline.predict_proba(X))


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_pipeline_with_a_folded_scaler_round_trips(tmp_path):
    """What ``skdnn train`` saves: the encoder, then the network with the
    StandardScaler that fed it folded into its first layer."""
    from skdnn import DeepClassifier
    from skdnn.preprocessing import TabularEncoder, fold_scaler

    X, y = mixed_rows()
    encoder = TabularEncoder().fit(X)
    scaler = StandardScaler().fit(encoder.transform(X))
    network = DeepClassifier((5,), solver="lbfgs", max_iter=50, random_state=0)
    network.fit(scaler.transform(encoder.transform(X)), y)
    three_steps = make_pipeline(encoder, scaler, network)
    folded = make_pipeline(encoder, fold_scaler(scaler, network))

    loaded = round_trip(folded, tmp_path)

    assert np.array_equal(loaded.predict_proba(X), folded.predict_proba(X))
    np.testing.assert_allclose(
        loaded.predict_proba(X), three_steps.predict_proba(X), rtol=0, atol=1e-12
    )
    assert loaded.predict(X).tolist() == three_steps.predict(X).tolist()


def test_pipeline_file_layout(pipeline_file):
    with h5py.File(pipeline_file, "r") as f:
        assert f.attrs["format_version"] == FORMAT_VERSION == 3
        assert f.attrs["estimator"] == "DeepClassifier"
        assert sorted(f) == ["fitted", "preprocessing"]
        group = f["preprocessing"]
        assert json.loads(group.attrs["params"]) == {"max_categories": 100}
        assert group.attrs["n_features_in_"] == 4
        assert sorted(group) == [
            "categorical_columns_",
            "categories_",
            "feature_names_in_",
            "fill_values_",
            "numeric_columns_",
        ]
        assert group["numeric_columns_"][()].tolist() == [0, 2]
        assert group["numeric_columns_"].dtype == "<i8"
        assert group["fill_values_"].dtype == "<f8"
        assert group["categorical_columns_"][()].tolist() == [1, 3]
        assert sorted(group["categories_"]) == ["0", "1"]
        assert group["categories_/0"].asstr()[()].tolist() == [
            "lima",
            "oslo",
            "rome",
            "são paulo",
        ]
        assert group["categories_/1"].asstr()[()].tolist() == ["False", "True"]
        names = group["feature_names_in_"].asstr()[()].tolist()
        assert names == ["age", "city", "rooms", "member"]
        assert f["fitted"].attrs["n_features_in_"] == 2 + 4 + 2
        for name, obj in group.items():
            if isinstance(obj, h5py.Dataset):
                assert obj.dtype.kind in "ifO", name  # no opaque bytes


def test_pipeline_checksum_follows_the_documented_recipe(pipeline_file):
    with h5py.File(pipeline_file, "r") as f:
        assert f.attrs["sha256"] == documented_checksum(pipeline_file)


# -- pipelines that cannot be saved: refused before anything is written


def _refused_on_save(tmp_path, model, error, match):
    with pytest.raises(error, match=match):
        save_model(model, tmp_path / "model.h5")
    assert list(tmp_path.iterdir()) == []


def test_pipelines_other_than_encoder_then_network_are_refused(tmp_path):
    from skdnn.preprocessing import TabularEncoder

    X, y = mixed_rows()
    pipeline = fit_pipeline()
    encoder, network = pipeline[0], pipeline[-1]
    message = "a Pipeline only of exactly two steps, a TabularEncoder then a network"
    for model in (
        make_pipeline(encoder, StandardScaler(), network),  # three steps
        make_pipeline(network),  # one
        make_pipeline(StandardScaler(), network),  # not a TabularEncoder
        make_pipeline("passthrough", network),
    ):
        _refused_on_save(tmp_path, model, TypeError, message)
    _refused_on_save(
        tmp_path,
        make_pipeline(encoder, LogisticRegression()),
        TypeError,
        "stores only skdnn.s estimators",
    )

    class MyPipeline(type(pipeline)):
        pass

    subclass = MyPipeline(pipeline.steps)
    _refused_on_save(tmp_path, subclass, TypeError, "got a MyPipeline")
    _refused_on_save(
        tmp_path, make_pipeline(TabularEncoder(), network), NotFittedError, "Tabular"
    )
    _refused_on_save(
        tmp_path,
        make_pipeline(encoder, make_network("classifier")),
        NotFittedError,
        "DeepClassifier",
    )


def test_encoder_and_network_of_different_widths_are_refused(tmp_path):
    from skdnn.preprocessing import TabularEncoder

    X, _ = mixed_rows()
    pipeline = fit_pipeline()
    other = TabularEncoder().fit(X.drop(columns="member"))
    _refused_on_save(
        tmp_path,
        make_pipeline(other, pipeline[-1]),
        ValueError,
        "outputs 6 features, but the network after it takes n_features_in_ = 8",
    )


@pytest.mark.parametrize(
    "change, match",
    [
        (
            lambda e: setattr(e, "numeric_columns_", np.array([0, 0])),
            "are not the columns 0 to 3 of X",
        ),
        (
            lambda e: setattr(e, "fill_values_", np.array([np.nan, 1.0])),
            "fill_values_ that are not one finite number",
        ),
        (
            lambda e: e.categories_.__setitem__(1, np.array(["b", "a"], object)),
            r"categories_\[1\] that are not distinct and sorted",
        ),
        (
            lambda e: e.set_params(max_categories=2),
            r"has 4 categories in categories_\[0\]",
        ),
        (
            lambda e: e.categories_.__setitem__(
                1, np.array(["False", "x" * 5000], object)
            ),
            "Cannot save the categories: one is longer than 4096",
        ),
    ],
    ids=["positions", "fill-nan", "unsorted", "too-many", "long-string"],
)
def test_encoder_state_that_load_model_would_refuse_is_not_saved(
    tmp_path, change, match
):
    pipeline = fit_pipeline()
    change(pipeline[0])
    _refused_on_save(tmp_path, pipeline, ValueError, match)


# -- pipeline files tampered with


def test_changed_encoder_values_are_refused_by_the_checksum(pipeline_file):
    data = bytearray(pipeline_file.read_bytes())
    data[weight_offset(pipeline_file, "preprocessing/fill_values_")] ^= 1
    pipeline_file.write_bytes(data)
    refused(pipeline_file, "is damaged: checksum mismatch")


@pytest.mark.parametrize(
    "change",
    [
        lambda f: f["preprocessing"].attrs.modify("params", '{"max_categories": 50}'),
        lambda f: replace(
            f,
            "preprocessing/categories_/0",
            np.array(["lima", "oslo", "paris", "são paulo"], dtype=object),
            dtype=h5py.string_dtype(),
        ),
        lambda f: f["preprocessing"].__delitem__("feature_names_in_"),
    ],
    ids=["params", "categories", "feature-names"],
)
def test_changed_encoder_items_are_refused_by_the_checksum(pipeline_file, change):
    edit(pipeline_file, change)
    refused(pipeline_file, "is damaged: checksum mismatch")


def test_version_2_network_file_loads_as_before(model_file):
    """Files without /preprocessing are networks, as they always were."""
    loaded = load_model(model_file)
    assert type(loaded) is DeepBinaryClassifier
    with h5py.File(model_file, "r") as f:
        assert "preprocessing" not in f


def _strings(values):
    return {"data": np.array(values, dtype=object), "dtype": h5py.string_dtype()}


@pytest.mark.parametrize(
    "change, message",
    [
        (
            lambda f: f.attrs.modify("format_version", 2),
            r"/ has 2 members; a model file has at most 1 there: \['fitted'\]",
        ),
        (
            lambda f: f.__delitem__("preprocessing"),
            "the group /preprocessing is missing, which a file of format version 3",
        ),
        (
            lambda f: f["preprocessing"].__delitem__("fill_values_"),
            "/preprocessing/fill_values_ is missing",
        ),
        (
            lambda f: f.create_dataset("preprocessing/pickle", data=[1]),
            "has 6 members; a model file has at most 5",
        ),
        (
            lambda f: f.create_dataset(
                "preprocessing/categories_/2", **_strings(["a"])
            ),
            "/preprocessing/categories_ has 3 members",
        ),
        (
            lambda f: f["preprocessing/categories_"].move("1", "7"),
            r"/preprocessing/categories_/7 is not part of a model file",
        ),
        (
            lambda f: f["preprocessing"].attrs.create("class", "os.system"),
            r"attributes \['class'\] that model files do not have",
        ),
        (
            lambda f: f["preprocessing/categories_/0"].attrs.create("dtype", "<U3"),
            r"attributes \['dtype'\] that model files do not have",
        ),
        (
            lambda f: replace(f, "preprocessing/categories_/1", np.array([1.0, 2.0])),
            "categories_/1 should be 2 strings",
        ),
    ],
    ids=lambda v: None if callable(v) else v[:40],
)
def test_encoder_of_another_structure_is_refused(pipeline_file, change, message):
    """Checked before any value is read (so before the checksum)."""
    edit(pipeline_file, change)
    refused(pipeline_file, message)


@pytest.mark.parametrize(
    "change, message",
    [
        # parameters
        (
            lambda f: f["preprocessing"].attrs.modify(
                "params", '{"max_categories": 0}'
            ),
            "the /preprocessing parameters are not valid for TabularEncoder",
        ),
        (
            lambda f: f["preprocessing"].attrs.modify("params", '{"scale": 2}'),
            "no parameter 'scale'",
        ),
        (
            lambda f: f["preprocessing"].attrs.modify("params", "{not json"),
            "the /preprocessing params attribute cannot be read",
        ),
        # sizes, shapes and dtypes
        (
            lambda f: f["preprocessing"].attrs.modify("n_features_in_", 0),
            "the n_features_in_ of /preprocessing is 0",
        ),
        (
            lambda f: f["preprocessing"].attrs.modify("n_features_in_", 9),
            "the n_features_in_ of /preprocessing is 9",
        ),
        (
            lambda f: f["preprocessing"].attrs.modify("n_features_in_", 5),
            "a TabularEncoder of 5 columns has",
        ),
        (
            lambda f: replace(
                f, "preprocessing/numeric_columns_", np.array([0, 2], np.int32)
            ),
            "dtypes .*'numeric_columns_': 'int32'",
        ),
        (
            lambda f: replace(
                f, "preprocessing/fill_values_", np.array([1.0, 2.0], np.float32)
            ),
            "'fill_values_': 'float32'",
        ),
        (
            lambda f: replace(
                f, "preprocessing/numeric_columns_", np.array([0, 2], ">i8")
            ),
            "'numeric_columns_': '>i8'",
        ),
        (
            lambda f: replace(
                f, "preprocessing/fill_values_", np.array([1.0, 2.0, 3.0])
            ),
            "have the shapes",
        ),
        (
            lambda f: replace(
                f, "preprocessing/categorical_columns_", np.array([[1, 3]])
            ),
            "categorical_columns_ should be a 1-D array",
        ),
        (
            lambda f: replace(f, "preprocessing/categories_/0", **_strings(["a", "b"])),
            "which do not give the 8 features of the network",
        ),
        # values
        (
            lambda f: replace(f, "preprocessing/numeric_columns_", np.array([0, 1])),
            r"numeric columns \[0, 1\] and the categorical columns \[1, 3\]",
        ),
        (
            lambda f: (replace(f, "preprocessing/numeric_columns_", np.array([2, 0])),),
            "each once, in increasing order",
        ),
        (
            lambda f: replace(f, "preprocessing/fill_values_", np.array([np.inf, 1.0])),
            "fill_values_ that are not one finite number",
        ),
        (
            lambda f: replace(
                f,
                "preprocessing/categories_/0",
                **_strings(["oslo", "lima", "rome", "são paulo"]),
            ),
            r"categories_\[0\] that are not distinct and sorted",
        ),
        (
            lambda f: replace(
                f,
                "preprocessing/categories_/0",
                **_strings(["lima", "oslo", "oslo", "rome"]),
            ),
            r"categories_\[0\] that are not distinct and sorted",
        ),
        (
            lambda f: f["preprocessing"].attrs.modify(
                "params", '{"max_categories": 3}'
            ),
            r"has 4 categories in categories_\[0\]; a column has 1 to max_categories=3",
        ),
        (
            lambda f: replace(
                f,
                "preprocessing/categories_/1",
                **_strings(["False", "x" * (persistence.MAX_STRING_LENGTH + 1)]),
            ),
            "categories_/1 holds strings longer than 4096 characters",
        ),
        (
            lambda f: replace(f, "preprocessing/feature_names_in_", **_strings(["a"])),
            "feature_names_in_ should be 4 strings",
        ),
    ],
    ids=lambda v: None if callable(v) else v[:40],
)
def test_tampered_encoder_values_are_refused(pipeline_file, change, message):
    """Each file is re-signed, so that the check under test refuses it."""
    edit(pipeline_file, change, resign=True)
    refused(pipeline_file, message)


def test_categories_count_comes_from_a_bounded_shape(pipeline_file):
    """A categorical_columns_ that declares more entries than the file holds
    is refused before its shape sizes anything."""
    edit(
        pipeline_file,
        lambda f: replace(
            f, "preprocessing/categorical_columns_", None, shape=(2**40,), dtype="<i8"
        ),
    )
    refused(pipeline_file, "categorical_columns_ declares .* bytes of data, more than")
