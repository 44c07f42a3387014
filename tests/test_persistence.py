"""``save_model`` / ``load_model``: exact round trips without pickle, and a
clear error for every kind of damaged or foreign file."""

import json
import re
import shutil

import h5py
import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
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
from skdnn.persistence import FORMAT_VERSION, _decode, _encode

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
        assert f.attrs["format_version"] == FORMAT_VERSION == 2
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
    "estimator",
    [
        LogisticRegression(),
        make_pipeline(StandardScaler(), LogisticRegressionGD(max_iter=5)),
        MyDeepClassifier((3,), max_iter=5),
    ],
    ids=["sklearn", "pipeline", "subclass"],
)
def test_only_the_two_skdnn_classes_can_be_saved(tmp_path, estimator):
    X, y = make_data()
    estimator.fit(X, y)
    with pytest.raises(TypeError, match="stores only DeepBinaryClassifier and"):
        save_model(estimator, tmp_path / "model.h5")


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
