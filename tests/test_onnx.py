"""ONNX export (skdnn.onnx, skdnn.to_onnx, ``skdnn export``): the exported
graph, run in onnxruntime, gives skdnn's labels exactly and its
probabilities or values to 1e-5 (float32) or 1e-10 (float64), for every
estimator, hidden activation, head and dtype, alone and at the end of a
Pipeline. Needs the onnx extra (``pip install "skdnn[onnx]"``); without it
only the tests of the message that says so run."""

import subprocess
import sys
import warnings

import numpy as np
import pytest
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.compose import ColumnTransformer
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

import skdnn
from skdnn import (
    DeepBinaryClassifier,
    DeepClassifier,
    DeepRegressor,
    LogisticRegressionGD,
    save_model,
)
from skdnn.activations import ACTIVATIONS
from skdnn.cli import main

NEEDS_EXTRA = 'the onnx extra is not installed: pip install "skdnn[onnx]"'
TOLERANCE = {np.float32: 1e-5, np.float64: 1e-10}


@pytest.fixture(scope="module")
def ort():
    pytest.importorskip("skl2onnx", reason=NEEDS_EXTRA)
    return pytest.importorskip("onnxruntime", reason=NEEDS_EXTRA)


@pytest.fixture(scope="module")
def skl2onnx(ort):
    import skl2onnx

    import skdnn.onnx  # noqa: F401  (registers the converters)

    return skl2onnx


def _run(ort, onnx_model, feeds):
    """``{output name: value}`` of the graph on ``feeds`` (an array for the
    one input ``X``, or a dict)."""
    session = ort.InferenceSession(
        onnx_model.SerializeToString(), providers=["CPUExecutionProvider"]
    )
    if not isinstance(feeds, dict):
        feeds = {session.get_inputs()[0].name: feeds}
    names = [output.name for output in session.get_outputs()]
    return dict(zip(names, session.run(None, feeds), strict=True))


def _fit(estimator, X, y):
    with warnings.catch_warnings():  # a few epochs: "learned nothing yet"
        warnings.simplefilter("ignore")
        return estimator.fit(X, y)


def _data(dtype, n=30, seed=0):
    """``X`` of 4 features and every target, from one seed."""
    rng = np.random.RandomState(seed)
    X = rng.randn(n, 4).astype(dtype)
    targets = {
        "binary": (X[:, 0] + X[:, 1] > 0).astype(int),
        "multiclass": np.digitize(X[:, 0], [-0.5, 0.5]),
        "multilabel": (X[:, :3] > 0).astype(int),
        "regression": X[:, 0] - 2 * X[:, 1],
        "regression-2": np.abs(X[:, :2]),
    }
    return X, targets


def _tolerance(model):
    """1e-5 or 1e-10: the dtype of the network (the last step of a pipeline)."""
    network = model[-1] if hasattr(model, "steps") else model
    return TOLERANCE[network.coefs_[0].dtype.type]


def _check_classifier(ort, clf, X, onnx_model=None):
    onnx_model = onnx_model or skdnn.to_onnx(clf, X[:1], options={"zipmap": False})
    out = _run(ort, onnx_model, X)
    np.testing.assert_array_equal(out["label"], clf.predict(X))
    proba = clf.predict_proba(X)
    assert out["probabilities"].dtype == proba.dtype
    np.testing.assert_allclose(
        out["probabilities"], proba, rtol=0, atol=_tolerance(clf)
    )


def _check_regressor(ort, reg, X, onnx_model=None):
    out = _run(ort, onnx_model or skdnn.to_onnx(reg, X[:1]), X)["variable"]
    expected = reg.predict(X).reshape(X.shape[0], -1)
    assert out.dtype == expected.dtype
    np.testing.assert_allclose(out, expected, rtol=0, atol=_tolerance(reg))


#: Each head: the estimator (hidden activation to come) and its target.
HEADS = {
    "binary": (lambda a: DeepBinaryClassifier((5, 3), a, max_iter=3), "binary"),
    "deep-binary": (lambda a: DeepClassifier((5, 3), a, max_iter=3), "binary"),
    "softmax": (lambda a: DeepClassifier((5, 3), a, max_iter=3), "multiclass"),
    "multilabel": (lambda a: DeepClassifier((5, 3), a, max_iter=3), "multilabel"),
    "identity": (lambda a: DeepRegressor((5, 3), a, max_iter=3), "regression"),
    "relu": (
        lambda a: DeepRegressor((5, 3), a, out_activation="relu", max_iter=3),
        "regression-2",
    ),
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
@pytest.mark.parametrize("head", HEADS)
def test_graph_matches_skdnn(ort, head, activation, dtype):
    make, target = HEADS[head]
    X, targets = _data(dtype)
    estimator = _fit(make(activation), X, targets[target])
    assert estimator.coefs_[0].dtype == dtype
    X_test = np.concatenate([X, 3 * _data(dtype, n=20, seed=1)[0]])
    if hasattr(estimator, "classes_"):
        _check_classifier(ort, estimator, X_test)
    else:
        _check_regressor(ort, estimator, X_test)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_logistic_regression(ort, dtype):
    X, targets = _data(dtype)
    clf = _fit(LogisticRegressionGD(init="xavier", max_iter=3), X, targets["binary"])
    _check_classifier(ort, clf, X)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_one_activation_per_layer(ort, dtype):
    X, targets = _data(dtype)
    hidden = [4] * len(ACTIVATIONS)
    activations = sorted(ACTIVATIONS)
    clf = DeepClassifier(hidden, activations, max_iter=3, random_state=0)
    _check_classifier(ort, _fit(clf, X, targets["multiclass"]), X)
    reg = DeepRegressor(hidden, activations[::-1], max_iter=3, random_state=0)
    _check_regressor(ort, _fit(reg, X, targets["regression"]), X)


def test_every_activation_has_a_node(skl2onnx):
    assert set(skdnn.onnx.ACTIVATION_NODES) == set(ACTIVATIONS)


def test_logistic_regression_without_hidden_layer_is_one_gemm(skl2onnx):
    X, targets = _data(np.float64)
    clf = _fit(LogisticRegressionGD(max_iter=3), X, targets["binary"])
    ops = [node.op_type for node in skdnn.to_onnx(clf).graph.node]
    assert ops.count("Gemm") == 1


# -- labels, ZipMap and inputs ---------------------------------------------------------


@pytest.mark.parametrize("target", ["binary", "multiclass"])
def test_string_labels(ort, target):
    X, targets = _data(np.float64)
    y = np.array(["ant", "bee", "cat"])[targets[target]]
    clf = _fit(DeepClassifier((5,), max_iter=3), X, y)
    _check_classifier(ort, clf, X)


def test_integral_float_labels_become_int64(ort):
    X, targets = _data(np.float64)
    clf = _fit(DeepBinaryClassifier((3,), max_iter=3), X, targets["binary"] * 2.0)
    out = _run(ort, skdnn.to_onnx(clf, options={"zipmap": False}), X)
    assert out["label"].dtype == np.int64
    np.testing.assert_array_equal(out["label"], clf.predict(X))
    clf.classes_ = np.array([0.5, 1.5])  # scikit-learn refuses such labels in fit
    with pytest.raises(ValueError, match="labels are int64 or strings"):
        skdnn.to_onnx(clf)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_zipmap_by_default(ort, dtype):
    """ONNX's ZipMap holds float32: a float64 model's probabilities come out
    rounded to float32 with it."""
    X, targets = _data(dtype)
    y = np.array(["no", "yes"])[targets["binary"]]
    clf = _fit(DeepBinaryClassifier((4,), max_iter=3), X, y)
    out = _run(ort, skdnn.to_onnx(clf, X[:1]), X)
    np.testing.assert_array_equal(out["output_label"], clf.predict(X))
    proba = clf.predict_proba(X)
    for row, dicts in zip(proba, out["output_probability"], strict=True):
        assert list(dicts) == ["no", "yes"]
        np.testing.assert_allclose(list(dicts.values()), row, rtol=0, atol=1e-6)


def test_zipmap_columns(ort):
    X, targets = _data(np.float32)
    clf = _fit(DeepClassifier((4,), max_iter=3), X, targets["multiclass"])
    out = _run(ort, skdnn.to_onnx(clf, options={"zipmap": "columns"}), X)
    proba = clf.predict_proba(X)
    for k in range(3):
        np.testing.assert_allclose(out[f"i{k}"], proba[:, k], rtol=0, atol=1e-5)


def test_input_of_another_dtype_is_cast(ort):
    """A float64 model takes float32 rows as skdnn does: cast, then float64."""
    X, targets = _data(np.float64)
    clf = _fit(DeepClassifier((5,), max_iter=3), X, targets["multiclass"])
    X32 = X.astype(np.float32)
    _check_classifier(
        ort, clf, X32, skdnn.to_onnx(clf, X32[:1], options={"zipmap": False})
    )


def test_default_sample_is_one_row_of_the_model_dtype(ort):
    X, targets = _data(np.float32)
    reg = _fit(DeepRegressor((3,), max_iter=3), X, targets["regression"])
    onnx_model = skdnn.to_onnx(reg)
    assert onnx_model.graph.input[0].type.tensor_type.elem_type == 1  # FLOAT
    _check_regressor(ort, reg, X, onnx_model)


# -- pipelines -------------------------------------------------------------------------

ESTIMATORS = {
    "DeepBinaryClassifier": (lambda: DeepBinaryClassifier((4,), max_iter=3), "binary"),
    "LogisticRegressionGD": (lambda: LogisticRegressionGD(max_iter=3), "binary"),
    "DeepClassifier": (lambda: DeepClassifier((4,), max_iter=3), "multiclass"),
    "DeepRegressor": (lambda: DeepRegressor((4,), max_iter=3), "regression"),
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", ESTIMATORS)
def test_pipeline_with_scaler(skl2onnx, ort, name, dtype):
    make, target = ESTIMATORS[name]
    X, targets = _data(dtype)
    pipe = _fit(make_pipeline(StandardScaler(), make()), 5 * X + 1, targets[target])
    X_test = 5 * X + 1
    options = None if name == "DeepRegressor" else {"zipmap": False}
    onnx_model = skl2onnx.to_onnx(pipe, X_test[:1], options=options)
    if name == "DeepRegressor":
        _check_regressor(ort, pipe, X_test, onnx_model)
    else:
        _check_classifier(ort, pipe, X_test, onnx_model)


def test_pipeline_with_column_transformer_on_a_dataframe(skl2onnx, ort):
    pd = pytest.importorskip("pandas")
    rng = np.random.RandomState(0)
    df = pd.DataFrame(
        {
            "colour": rng.choice(["red", "green", "blue"], 40),
            "size": rng.randn(40),
            "weight": 10 + 3 * rng.randn(40),
        }
    )
    y = np.where(df["size"] + (df["colour"] == "red") > 0.5, "big", "small")
    columns = ColumnTransformer(
        [
            ("onehot", OneHotEncoder(), ["colour"]),
            ("scale", StandardScaler(), ["size", "weight"]),
        ]
    )
    pipe = _fit(make_pipeline(columns, DeepClassifier((5,), max_iter=3)), df, y)
    for convert in (skl2onnx.to_onnx, skdnn.to_onnx):
        onnx_model = convert(pipe, df[:1], options={"zipmap": False})
        feeds = {name: df[[name]].to_numpy() for name in df.columns}
        feeds["colour"] = feeds["colour"].astype(object)
        out = _run(ort, onnx_model, feeds)
        np.testing.assert_array_equal(out["label"], pipe.predict(df))
        np.testing.assert_allclose(
            out["probabilities"], pipe.predict_proba(df), rtol=0, atol=1e-10
        )


# -- bad input -------------------------------------------------------------------------


class _Clip(TransformerMixin, BaseEstimator):
    """A transformer skl2onnx has no converter for."""

    def fit(self, X, y=None):
        return self

    def transform(self, X):
        return np.clip(X, -3, 3)


@pytest.mark.parametrize("name", ESTIMATORS)
def test_unfitted_estimator(skl2onnx, name):
    estimator = ESTIMATORS[name][0]()
    X = np.zeros((1, 4))
    with pytest.raises(NotFittedError, match=f"{name} is not fitted"):
        skdnn.to_onnx(estimator, X)
    with pytest.raises(NotFittedError, match=f"{name} is not fitted"):
        skl2onnx.to_onnx(estimator, X)


def test_unfitted_pipeline_names_the_step(skl2onnx):
    pipe = make_pipeline(StandardScaler(), DeepRegressor())
    with pytest.raises(
        NotFittedError, match="StandardScaler .pipeline step 'standardscaler'"
    ):
        skdnn.to_onnx(pipe, np.zeros((1, 4)))


def test_step_without_converter_is_named(skl2onnx):
    X, targets = _data(np.float64)
    pipe = _fit(
        make_pipeline(_Clip(), DeepBinaryClassifier((3,), max_iter=3)),
        X,
        targets["binary"],
    )
    with pytest.raises(
        ValueError, match=r"pipeline step '_clip' \(_Clip\) has no skl2onnx"
    ):
        skdnn.to_onnx(pipe, X[:1])
    nested = make_pipeline(
        ColumnTransformer(
            [("clip", _Clip(), [0, 1]), ("scale", StandardScaler(), [2, 3])]
        ),
        DeepBinaryClassifier((3,), max_iter=3),
    )
    _fit(nested, X, targets["binary"])
    with pytest.raises(ValueError, match="pipeline step 'columntransformer/clip'"):
        skdnn.to_onnx(nested, X[:1])


def test_sample_of_the_wrong_width(skl2onnx):
    X, targets = _data(np.float64)
    clf = _fit(DeepBinaryClassifier((3,), max_iter=3), X, targets["binary"])
    with pytest.raises(
        ValueError, match="fitted on 4 features; the ONNX input 'X' has 3"
    ):
        skdnn.to_onnx(clf, X[:1, :3])


def test_pipeline_needs_a_sample(skl2onnx):
    X, targets = _data(np.float64)
    pipe = _fit(
        make_pipeline(StandardScaler(), DeepRegressor((3,), max_iter=3)),
        X,
        targets["regression"],
    )
    with pytest.raises(ValueError, match="X_sample is needed"):
        skdnn.to_onnx(pipe)


def _encoded_rows_pipeline():
    """A TabularEncoder and a DeepClassifier fit on raw rows (numbers and
    strings, with missing values), and those rows."""
    from skdnn.preprocessing import TabularEncoder

    rng = np.random.RandomState(0)
    rows = np.empty((40, 2), dtype=object)
    rows[:, 0] = rng.standard_normal(40)
    rows[:, 1] = rng.choice(["red", "green", "blue"], 40)
    rows[::6, 0], rows[::5, 1] = None, None
    y = (rows[:, 1] == "red").astype(int)
    network = DeepClassifier((4,), max_iter=3, random_state=0)
    return _fit(make_pipeline(TabularEncoder(), network), rows, y), rows


ENCODER_MESSAGE = (
    r"the export covers the network only, not the TabularEncoder .* Export the "
    r"network, pipeline\[-1\], which takes the encoded features: "
    r"to_onnx\(pipeline\[-1\]\)"
)


def test_pipeline_with_a_tabular_encoder_is_refused_with_the_way_out(ort):
    pipe, rows = _encoded_rows_pipeline()
    with pytest.raises(ValueError, match=ENCODER_MESSAGE):
        skdnn.to_onnx(pipe, rows[:1])
    with pytest.raises(ValueError, match=ENCODER_MESSAGE):
        skdnn.to_onnx(pipe[0], rows[:1])
    # the way out: the network's graph, fed the encoded rows
    encoded = pipe[:-1].transform(rows)
    onnx_model = skdnn.to_onnx(pipe[-1], options={"zipmap": False})
    out = _run(ort, onnx_model, encoded)
    np.testing.assert_array_equal(out["label"], pipe.predict(rows))
    np.testing.assert_allclose(
        out["probabilities"], pipe.predict_proba(rows), rtol=0, atol=1e-10
    )


def _without_extra(monkeypatch):
    """Make ``import skl2onnx`` fail, as it does without the onnx extra."""
    monkeypatch.setitem(sys.modules, "skl2onnx", None)
    monkeypatch.delitem(sys.modules, "skdnn.onnx", raising=False)
    monkeypatch.delattr(skdnn, "onnx", raising=False)


def test_without_the_extra_the_error_says_what_to_install(monkeypatch):
    _without_extra(monkeypatch)
    X, targets = _data(np.float64)
    clf = _fit(DeepBinaryClassifier((3,), max_iter=3), X, targets["binary"])
    with pytest.raises(ImportError, match=r'pip install "skdnn\[onnx\]"'):
        skdnn.to_onnx(clf)


def test_tabular_encoder_is_refused_without_the_extra_too(monkeypatch):
    _without_extra(monkeypatch)
    pipe, rows = _encoded_rows_pipeline()
    with pytest.raises(ValueError, match=ENCODER_MESSAGE):
        skdnn.to_onnx(pipe, rows[:1])


# -- the command line ------------------------------------------------------------------


@pytest.fixture(scope="module")
def model_file(tmp_path_factory):
    X, targets = _data(np.float64)
    clf = _fit(DeepBinaryClassifier((5,), max_iter=3), X, targets["binary"])
    path = tmp_path_factory.mktemp("export") / "model.h5"
    save_model(clf, path)
    return path, X


def test_export_command(ort, model_file, tmp_path):
    path, X = model_file
    out = tmp_path / "model.onnx"
    result = subprocess.run(
        [sys.executable, "-m", "skdnn", "export", str(path), str(out), "--no-zipmap"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert f"saved to {out}" in result.stdout
    onnx = pytest.importorskip("onnx")
    _check_classifier(ort, skdnn.load_model(path), X, onnx.load(out))


def test_export_command_with_zipmap(ort, model_file, tmp_path, capsys):
    path, X = model_file
    out = tmp_path / "model.onnx"
    assert main(["export", str(path), str(out)]) == 0
    assert "outputs output_label, output_probability" in capsys.readouterr().out
    labels = _run(ort, pytest.importorskip("onnx").load(out), X)["output_label"]
    np.testing.assert_array_equal(labels, skdnn.load_model(path).predict(X))


def _one_line_error(capsys, argv):
    assert main(argv) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("skdnn export: error: "), captured
    return lines[0]


def test_export_errors_are_one_line_with_exit_code_2(
    skl2onnx, model_file, tmp_path, capsys
):
    path, _ = model_file
    text = tmp_path / "notes.txt"
    text.write_text("not a model\n")
    cases = {
        "no such model file": [str(tmp_path / "nope.h5"), str(tmp_path / "m.onnx")],
        "not an HDF5 file": [str(text), str(tmp_path / "m.onnx")],
        "cannot write": [str(path), str(tmp_path / "no" / "dir" / "m.onnx")],
    }
    for message, args in cases.items():
        assert message in _one_line_error(capsys, ["export", *args])


def test_export_without_the_extra(monkeypatch, model_file, tmp_path, capsys):
    _without_extra(monkeypatch)
    line = _one_line_error(
        capsys, ["export", str(model_file[0]), str(tmp_path / "m.onnx")]
    )
    assert 'pip install "skdnn[onnx]"' in line


def test_export_command_in_a_subprocess_fails_cleanly(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "skdnn", "export", str(tmp_path / "nope.h5"), "m.onnx"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert (
        result.stderr.strip()
        == f"skdnn export: error: no such model file: {tmp_path / 'nope.h5'}"
    )
