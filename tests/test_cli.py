"""The ``skdnn`` command, as a user runs it: end to end in subprocesses, and
every bad path, column or file giving one line and exit code 2."""

import csv
import io
import os
import re
import subprocess
import sys

import h5py
import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skdnn import DeepBinaryClassifier
from skdnn.cli import main
from skdnn.cli._reading import read_csv
from skdnn.cli._reporting import IterationBar
from skdnn.preprocessing import fold_scaler

FAST = ["--max-iter", "300", "--learning-rate", "0.05"]


def _run(*args, env=None):
    return subprocess.run(
        [sys.executable, "-m", "skdnn", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )


def _accuracy(out, what="held-out accuracy"):
    return float(re.search(rf"{what}: (\S+)", out).group(1))


@pytest.fixture(scope="module")
def cancer_csv(tmp_path_factory):
    """breast cancer as a CSV with a text target column, 'diagnosis'."""
    data = load_breast_cancer()
    path = tmp_path_factory.mktemp("csv") / "cancer.csv"
    names = [n.replace(" ", "_") for n in data.feature_names]
    with path.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow([*names, "diagnosis"])
        for row, label in zip(data.data, data.target, strict=True):
            writer.writerow([*row, data.target_names[label]])
    return path


def test_train_runs_end_to_end_and_prints_an_accuracy():
    result = _run("train", *FAST)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "5-fold cross-validation accuracy" in out
    mean, std = map(float, re.search(r"mean (\S+) ± (\S+)", out).groups())
    assert 0.9 < mean <= 1 and 0 <= std < 0.1
    assert re.search(r"Cost after iteration 0: \d\.\d{6}", out)
    assert "Cost after iteration 299:" in out
    assert 0.9 < _accuracy(out) <= 1


def test_train_logistic_in_process(capsys):
    assert main(["train", "--model", "logistic", "--cv", "3"]) == 0
    out = capsys.readouterr().out
    assert "LogisticRegressionGD" in out
    assert len(re.search(r"accuracy:\n  (.*)\n", out).group(1).split()) == 3
    assert _accuracy(out) > 0.9


def test_csv_train_save_predict_info(cancer_csv, tmp_path):
    model_path, out_csv = tmp_path / "model.h5", tmp_path / "pred.csv"
    result = _run(
        "train",
        "--data",
        cancer_csv,
        "--target",
        "diagnosis",
        "--cv",
        "0",
        *FAST,
        "--out",
        model_path,
    )
    assert result.returncode == 0, result.stderr
    assert "cross-validation" not in result.stdout
    assert _accuracy(result.stdout) > 0.9

    result = _run("predict", model_path, cancer_csv, "--proba", "--output", out_csv)
    assert result.returncode == 0, result.stderr
    with out_csv.open() as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == ["prediction", "proba_benign", "proba_malignant"]
    _, truth = read_csv(cancer_csv, "diagnosis")
    predicted = np.array([row["prediction"] for row in rows])
    assert np.mean(predicted == truth) > 0.9
    assert all(
        abs(float(r["proba_benign"]) + float(r["proba_malignant"]) - 1) < 1e-9
        for r in rows
    )

    result = _run("info", model_path)
    assert result.returncode == 0, result.stderr
    assert "DeepBinaryClassifier" in result.stdout
    assert "[30, 20, 7, 5, 1]" in result.stdout
    assert "mean_radius" in result.stdout  # the feature names travel with it


def test_saved_model_takes_unscaled_data():
    """--out folds the StandardScaler into the first layer: the model file
    predicts on raw features what the pipeline predicts."""
    X, y = load_breast_cancer(return_X_y=True)
    pipe = make_pipeline(
        StandardScaler(), DeepBinaryClassifier((8, 4), max_iter=200, random_state=0)
    ).fit(X, y)
    folded = fold_scaler(pipe[0], pipe[-1])
    np.testing.assert_allclose(
        folded.predict_proba(X), pipe.predict_proba(X), rtol=1e-10, atol=1e-12
    )
    assert pipe[-1].coefs_[0] is not folded.coefs_[0]  # the pipeline is untouched


def test_train_catvnoncat_reproduces_the_course(tmp_path):
    data_home = os.environ.get("SKDNN_DATA")
    if not data_home:
        pytest.skip("the cat data is found through $SKDNN_DATA, which is not set")
    plot = tmp_path / "loss.png"
    result = _run(
        "train",
        "--dataset",
        "catvnoncat",
        "--data-home",
        data_home,
        "--cv",
        "0",
        "--plot",
        plot,
    )
    assert result.returncode == 0, result.stderr
    assert "Cost after iteration 2499: 0.088440" in result.stdout
    assert _accuracy(result.stdout) == 0.8
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_progress_bar_on_a_terminal():
    stream = io.StringIO()
    X, y = load_breast_cancer(return_X_y=True)
    clf = DeepBinaryClassifier((4,), max_iter=400)
    clf.set_callbacks(IterationBar(stream, delay=0)).fit(X / X.max(axis=0), y)
    text = stream.getvalue()
    assert text.startswith("\rtraining [.") and text.count("\r") == 400
    assert text.endswith(f"[{'#' * 30}] 400/400 iterations\n")
    quiet = io.StringIO()
    clf.set_callbacks(IterationBar(quiet, delay=60)).fit(X / X.max(axis=0), y)
    assert quiet.getvalue() == ""  # a quick fit shows no bar


# -- errors: one line on stderr, exit code 2, no traceback ------------------------


@pytest.fixture(scope="module")
def files(tmp_path_factory, cancer_csv):
    folder = tmp_path_factory.mktemp("files")
    model = folder / "model.h5"
    assert (
        main(
            [
                "train",
                "--data",
                str(cancer_csv),
                "--target",
                "diagnosis",
                "--cv",
                "0",
                "--max-iter",
                "5",
                "--quiet",
                "--out",
                str(model),
            ]
        )
        == 0
    )
    text = folder / "notes.txt"
    text.write_text("not a model\n")
    words = folder / "words.csv"
    words.write_text("a,b,label\n1,hello,0\n2,3,1\n")
    short = folder / "short.csv"
    short.write_text("mean_radius,label\n1,0\n")
    wide = folder / "wide.npy"
    np.save(wide, np.zeros((3, 7)))
    return {
        **_damaged_models(model, folder),
        "model": model,
        "text": text,
        "words": words,
        "short": short,
        "wide": wide,
        "csv": cancer_csv,
        "dir": folder,
    }


def _damaged_models(model, folder):
    """Copies of ``model``: a flipped bit in a weight (the checksum catches
    it), NaN weights in a version-1 file (no checksum), a string heap that
    would make HDF5 loop forever, and a FIFO where the model should be."""
    data = model.read_bytes()
    with h5py.File(model, "r") as f:
        weights = f["fitted/coefs_/0"].id.get_offset()
    paths = {name: folder / f"{name}.h5" for name in ("flipped", "nan", "heap", "fifo")}
    flipped = bytearray(data)
    flipped[weights] ^= 1
    paths["flipped"].write_bytes(flipped)
    paths["nan"].write_bytes(data)
    with h5py.File(paths["nan"], "r+") as f:
        del f.attrs["sha256"]
        f.attrs["format_version"] = 1
        f["fitted/coefs_/0"][0, 0] = np.nan
    heap = bytearray(data)
    start = heap.index(b"GCOL")
    heap[start + 16 : start + 32] = bytes(16)  # a free-space object of size 0
    paths["heap"].write_bytes(heap)
    os.mkfifo(paths["fifo"])  # opening it for reading would block
    return paths


ERRORS = {
    "missing data file": (
        ["train", "--data", "{dir}/nope.csv", "--target", "y"],
        "no such file",
    ),
    "missing target column": (
        ["train", "--data", "{csv}", "--target", "nope"],
        "has no column 'nope'",
    ),
    "data without target": (["train", "--data", "{csv}"], "--data needs --target"),
    "target without data": (["train", "--target", "y"], "--target goes with --data"),
    "text in a feature": (
        ["train", "--data", "{words}", "--target", "label"],
        "column 'b' holds",
    ),
    "both data sources": (
        ["train", "--dataset", "breast_cancer", "--data", "{csv}"],
        "not both",
    ),
    "no cat data": (
        ["train", "--dataset", "catvnoncat", "--data-home", "{dir}"],
        "catvnoncat",
    ),
    "bad hyper-parameter": (["train", "--learning-rate", "-1"], "learning_rate"),
    "bad cv": (["train", "--cv", "1"], "--cv"),
    "too wide for memory": (
        ["train", "--dataset", "breast_cancer", "--hidden-layer-sizes", "1000000000"],
        "hidden_layer_sizes=(1000000000,)",
    ),
    "too wide for memory, no cv": (
        ["train", "--cv", "0", "--hidden-layer-sizes", "1000000000"],
        "hidden_layer_sizes=(1000000000,)",
    ),
    "bad test size": (["train", "--test-size", "1.5"], "--test-size"),
    "unwritable model file": (
        [
            "train",
            "--cv",
            "0",
            "--max-iter",
            "5",
            "--quiet",
            "--out",
            "{dir}/no/such/dir/m.h5",
        ],
        "cannot write",
    ),
    "missing model": (["predict", "{dir}/nope.h5", "{csv}"], "no such model file"),
    "not a model": (["predict", "{text}", "{csv}"], "not an HDF5 file"),
    "missing rows file": (["predict", "{model}", "{dir}/nope.csv"], "no such file"),
    "missing columns": (["predict", "{model}", "{short}"], "lacks the model's feature"),
    "wrong width": (["predict", "{model}", "{wide}"], "takes 30 features"),
    "info on a text file": (["info", "{text}"], "not an HDF5 file"),
    "flipped bit": (["predict", "{flipped}", "{csv}"], "damaged: checksum mismatch"),
    "info on a flipped bit": (["info", "{flipped}"], "damaged: checksum mismatch"),
    "nan weights": (["predict", "{nan}", "{csv}"], "holds NaN or infinite values"),
    "heap hdf5 loops on": (["info", "{heap}"], "global heap collection at byte"),
    "fifo": (["info", "{fifo}"], "is not a regular file"),
    "predict from a fifo": (["predict", "{fifo}", "{csv}"], "is not a regular file"),
}


@pytest.mark.parametrize("args, message", ERRORS.values(), ids=ERRORS.keys())
def test_errors_are_one_line_with_exit_code_2(args, message, files, tmp_path):
    env = {**os.environ, "HOME": str(tmp_path)}
    env.pop("SKDNN_DATA", None)
    result = _run(*(a.format(**files) for a in args), env=env)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("skdnn "), result.stderr
    assert message in lines[0]


def test_bad_layer_sizes_are_a_usage_error():
    result = _run("train", "--hidden-layer-sizes", "20,x")
    assert result.returncode == 2
    assert "comma-separated integers" in result.stderr
    assert "Traceback" not in result.stderr


def test_train_the_regressor_and_the_multiclass_classifier(tmp_path):
    """--model regressor reports R² (unstratified split and folds); --model
    classifier takes a target with three classes."""
    rng = np.random.RandomState(0)
    X = rng.standard_normal((120, 3))
    price = 3 * X[:, 0] - X[:, 1] + 0.1 * rng.standard_normal(120)
    kind = np.array(["a", "b", "c"])[(X[:, 0] > 0).astype(int) + (X[:, 1] > 0)]
    for name, target in [("price", price), ("kind", kind)]:
        lines = [f"x0,x1,x2,{name}"] + [
            f"{a},{b},{c},{t}" for (a, b, c), t in zip(X, target, strict=True)
        ]
        (tmp_path / f"{name}.csv").write_text("\n".join(lines) + "\n")
    common = ["train", "--cv", "3", "--quiet", "--data"]
    out = _run(
        *common, tmp_path / "price.csv", "--target", "price", "--model", "regressor"
    )
    assert out.returncode == 0, out.stderr
    assert "3-fold cross-validation R²" in out.stdout
    assert _accuracy(out.stdout, "held-out R²") > 0.9
    out = _run(
        *common, tmp_path / "kind.csv", "--target", "kind", "--model", "classifier"
    )
    assert out.returncode == 0, out.stderr
    assert _accuracy(out.stdout) > 0.6


def test_csv_predict_of_a_model_with_feature_names_does_not_warn(cancer_csv, tmp_path):
    model = tmp_path / "model.h5"
    trained = _run(
        "train", "--data", cancer_csv, "--target", "diagnosis", "--cv", "0",
        "--quiet", "--max-iter", "50", "--out", model,
    )  # fmt: skip
    assert trained.returncode == 0, trained.stderr
    predicted = _run("predict", model, cancer_csv)
    assert predicted.returncode == 0, predicted.stderr
    assert "feature names" not in predicted.stderr
