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

from skdnn import DeepBinaryClassifier, load_model
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
    # a progress line per fold, as it ends, with the score printed after
    folds = dict(
        re.findall(r"^fold (\d)/5 done: (\d\.\d{4}) \(\d+\.\d s\)$", out, re.M)
    )
    scores = re.search(r"accuracy:\n  (.*)\n", out).group(1).split()
    assert [folds[str(i)] for i in range(1, 6)] == scores
    assert out.index("fold 5/5 done") < out.index("5-fold cross-validation")


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
    clf = DeepBinaryClassifier((4,), max_iter=400, random_state=0, learning_rate=0.1)
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
    network = folder / "network.h5"  # a network alone: format version 2
    argv = ["train", "--max-iter", "5", "--cv", "0", "--quiet", "--out", network]
    assert main([str(a) for a in argv]) == 0
    text = folder / "notes.txt"
    text.write_text("not a model\n")
    words = folder / "words.csv"
    words.write_text("a,b,label\n1,hello,0\n2,3,1\n")
    short = folder / "short.csv"
    short.write_text("mean_radius,label\n1,0\n")
    wide = folder / "wide.npy"
    np.save(wide, np.zeros((3, 7)))
    return {
        **_damaged_models(network, folder),
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
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr  # no usage block: one line
    assert lines[0].startswith("skdnn train: error: argument --hidden-layer-sizes")
    assert "comma-separated integers" in lines[0]
    assert lines[0].endswith("(see skdnn train --help)")


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


# -- reading CSV files, checking before any work, progress (issue #15) --------------


def _write(path, text, encoding="utf-8"):
    path.write_bytes(text.encode(encoding))
    return path


def _three_columns(rows):
    return "x0,x1,label\n" + "".join(f"{a},{b},{c}\n" for a, b, c in rows)


@pytest.fixture(scope="module")
def bad_csv(tmp_path_factory):
    """Small CSV files, each with one problem (a blank cell, a literal nan,
    ...) on a known line; ``good`` is the same data with none."""
    folder = tmp_path_factory.mktemp("bad_csv")
    rng = np.random.RandomState(0)
    X = rng.standard_normal((60, 2)).round(3)
    labels = np.array(["a", "b", "c"])[(X[:, 0] > 0).astype(int) + (X[:, 1] > 0.5)]
    two = np.where(X[:, 0] > 0, "yes", "no")
    good = [[a, b, c] for (a, b), c in zip(X, two, strict=True)]
    files = {"good": _write(folder / "good.csv", _three_columns(good))}
    problems = {  # name: (line of the file, the row written there)
        "empty": (7, [1.5, "", "yes"]),
        "nan": (9, [1.5, "nan", "no"]),
        "inf": (4, ["inf", 2, "no"]),
        "no_label": (12, [1, 2, ""]),
        "nan_label": (5, [1, 2, "NaN"]),
    }
    for name, (line, row) in problems.items():
        rows = [list(r) for r in good]
        rows[line - 2] = row  # the header is line 1
        files[name] = _write(folder / f"{name}.csv", _three_columns(rows))
    files["three"] = _write(
        folder / "three.csv",
        _three_columns([[a, b, c] for (a, b), c in zip(X, labels, strict=True)]),
    )
    files["price"] = _write(
        folder / "price.csv",
        _three_columns([[a, b, 3.5 * a + b] for a, b in X]),
    )
    wide = _three_columns(good).splitlines()
    wide[3] += ",7"  # line 4: one value too many
    files["wide"] = _write(folder / "wide.csv", "\n".join(wide) + "\n")
    latin = [[a, b, "café" if c == "yes" else "thé"] for a, b, c in good]
    files["latin"] = _write(folder / "latin.csv", _three_columns(latin), "latin-1")
    return files


def _error_line(capsys, argv):
    """The one stderr line of ``main(argv)``, which must return 2 having
    printed nothing on stdout (the error came before any work)."""
    assert main([str(a) for a in argv]) == 2
    out, err = capsys.readouterr()
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"skdnn {argv[0]}: error: "), lines[0]
    assert out == "", out
    return lines[0]


CSV_ERRORS = {
    "infinite value": ("inf", "label", "Column 'x0' of X holds infinite values"),
    "empty target": ("no_label", "label", "line 12: the target column 'label' is"),
    "nan target": ("nan_label", "label", "line 5: the target column 'label' is"),
    "one value too many": ("wide", "label", "wide.csv, line 4: 4 values for 3 columns"),
}


@pytest.mark.parametrize("name, target, message", CSV_ERRORS.values(), ids=CSV_ERRORS)
def test_csv_problems_are_one_line_naming_column_and_line(
    name, target, message, bad_csv, capsys
):
    line = _error_line(capsys, ["train", "--data", bad_csv[name], "--target", target])
    assert message in line
    assert str(bad_csv[name]) in line


TARGET_ERRORS = {
    "3 classes, deep": (
        "three",
        "deep",
        "the target column 'label' has 3 classes (a, b, c); --model deep "
        "(DeepBinaryClassifier) takes exactly two: use --model classifier",
    ),
    "3 classes, logistic": ("three", "logistic", "use --model classifier"),
    "continuous, deep": (
        "price",
        "deep",
        "'label' holds continuous numbers; --model deep (DeepBinaryClassifier) "
        "predicts classes: use --model regressor",
    ),
    "continuous, classifier": ("price", "classifier", "use --model regressor"),
    "text, regressor": (
        "good",
        "regressor",
        "'label' holds text ('no', 'yes'); --model regressor (DeepRegressor) "
        "predicts numbers: use --model classifier",
    ),
}


@pytest.mark.parametrize(
    "name, model, message", TARGET_ERRORS.values(), ids=TARGET_ERRORS
)
def test_a_target_the_model_cannot_learn_is_one_line_before_cv(
    name, model, message, bad_csv, capsys
):
    argv = ["train", "--data", bad_csv[name], "--target", "label", "--model", model]
    assert message in _error_line(capsys, argv)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_the_models_that_the_target_errors_suggest_do_learn_it(bad_csv, capsys):
    for name, model in [("three", "classifier"), ("price", "regressor")]:
        argv = ["train", "--data", bad_csv[name], "--target", "label"]
        assert main([*map(str, argv), "--model", model, "--cv", "2", "--quiet"]) == 0
    assert "held-out R²" in capsys.readouterr().out


def test_encoding(bad_csv, tmp_path, capsys):
    """A file that does not decode: one line with the byte and the remedy,
    which works, for train and for predict."""
    data = bad_csv["latin"].read_bytes()
    at = data.index("é".encode("latin-1"))
    line = data.count(b"\n", 0, at) + 1
    argv = ["train", "--data", bad_csv["latin"], "--target", "label"]
    message = _error_line(capsys, argv)
    assert message == (
        f"skdnn train: error: {bad_csv['latin']}: byte {at} (0xe9, line {line}) is "
        "not valid utf-8; give the file's encoding, e.g. --encoding latin-1"
    )
    model = tmp_path / "model.h5"
    fast = ["--cv", "0", "--max-iter", "50", "--quiet", "--out", model]
    assert main([*map(str, argv + fast), "--encoding", "latin-1"]) == 0
    capsys.readouterr()
    assert main(["info", str(model)]) == 0
    assert '"café", "thé"' in capsys.readouterr().out
    predict = ["predict", model, bad_csv["latin"]]
    assert "--encoding latin-1" in _error_line(capsys, predict)
    assert main([*map(str, predict), "--encoding", "latin-1"]) == 0
    predicted = capsys.readouterr().out.splitlines()
    assert predicted[0] == "prediction" and set(predicted[1:]) <= {"café", "thé"}


def test_an_unknown_encoding_is_one_line(bad_csv, capsys):
    for argv in [
        ["train", "--data", bad_csv["good"], "--target", "label"],
        ["predict", "model.h5", bad_csv["good"]],
    ]:
        line = _error_line(capsys, [*argv, "--encoding", "klingon"])
        assert "argument --encoding: unknown text encoding 'klingon'" in line
    line = _error_line(capsys, ["train", "--encoding", "rot13"])  # not text
    assert "unknown text encoding 'rot13'" in line


def test_csv_rows_are_read_by_pandas_with_whitespace_and_quotes(tmp_path):
    path = _write(
        tmp_path / "spaced.csv",
        ' x0 , "x1" ,label\n1, 2.5 ,yes\n"3",4, no\n-1e-3,0,"yes"\n',
    )
    X, y = read_csv(path, "label")
    assert list(X.columns) == ["x0", "x1"]
    np.testing.assert_allclose(X.to_numpy(dtype=float), [[1, 2.5], [3, 4], [-1e-3, 0]])
    assert y.tolist() == ["yes", "no", "yes"]
    assert X.index.tolist() == [2, 3, 4]  # the lines of the file


OUTPUT_ERRORS = {
    "--out into a missing folder": (
        ["train", "--out", "{dir}/no/such/m.h5"],
        "cannot write {dir}/no/such/m.h5: the folder {dir}/no/such does not exist",
    ),
    "--out is a folder": (
        ["train", "--out", "{dir}"],
        "cannot write {dir}: it is a folder; give a file name",
    ),
    "--out under a file": (
        ["train", "--out", "{csv}/m.h5"],
        "cannot write {csv}/m.h5: {csv} is not a folder",
    ),
    "--plot into a missing folder": (
        ["train", "--plot", "{dir}/no/loss.png"],
        "cannot write {dir}/no/loss.png: the folder {dir}/no does not exist",
    ),
    "predict --output into a missing folder": (
        ["predict", "{dir}/nope.h5", "{csv}", "--output", "{dir}/no/p.csv"],
        "cannot write {dir}/no/p.csv: the folder {dir}/no does not exist",
    ),
    "export into a missing folder": (
        ["export", "{dir}/nope.h5", "{dir}/no/m.onnx"],
        "cannot write {dir}/no/m.onnx: the folder {dir}/no does not exist",
    ),
}


@pytest.mark.parametrize("argv, message", OUTPUT_ERRORS.values(), ids=OUTPUT_ERRORS)
def test_output_paths_are_checked_before_any_work(argv, message, tmp_path, capsys):
    """Before reading data or models (nope.h5 does not exist), let alone
    training: stdout stays empty."""
    csv_file = _write(tmp_path / "data.csv", "a,b\n1,2\n")
    names = {"dir": tmp_path, "csv": csv_file}
    line = _error_line(capsys, [a.format(**names) for a in argv])
    assert line.endswith(message.format(**names))


def test_an_unwritable_folder_is_refused_before_any_work(tmp_path, capsys, monkeypatch):
    # as root every folder is writable: pretend this one is not
    real_access = os.access
    monkeypatch.setattr(
        os, "access", lambda p, mode: p != tmp_path and real_access(p, mode)
    )
    line = _error_line(capsys, ["train", "--out", tmp_path / "m.h5"])
    assert line.endswith(f"permission denied in the folder {tmp_path}")


def test_a_failing_fold_is_one_line_with_its_cause(capsys):
    """The first failing fit surfaces (error_score='raise'), not
    scikit-learn's block of tracebacks."""
    assert main(["train", "--learning-rate", "1000", "--max-iter", "50"]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1, err
    assert err.startswith("skdnn train: error: cross-validation failed: Training ")
    assert "diverged" in err and "Lower learning_rate (now 1000.0)" in err


def test_the_missing_cat_data_message_is_whole_on_one_line(
    tmp_path, capsys, monkeypatch
):
    monkeypatch.delenv("SKDNN_DATA", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    line = _error_line(
        capsys, ["train", "--dataset", "catvnoncat", "--data-home", tmp_path]
    )
    assert f"data_home: {tmp_path / 'catvnoncat'}; $SKDNN_DATA: " in line
    assert line.endswith("skdnn never downloads data.")


def test_quiet_silences_the_fold_lines(capsys):
    argv = ["train", "--max-iter", "30", "--learning-rate", "0.05", "--cv", "3"]
    assert main(argv) == 0
    loud = capsys.readouterr().out
    assert len(re.findall(r"^fold [123]/3 done: ", loud, re.M)) == 3
    assert main([*argv, "--quiet"]) == 0
    quiet = capsys.readouterr().out
    assert not re.search("^fold", quiet, re.M) and "Cost after" not in quiet
    assert "3-fold cross-validation accuracy" in quiet


def test_the_fold_scores_are_cross_val_scores():
    from sklearn.model_selection import StratifiedKFold, cross_val_score

    from skdnn.cli._running import cross_validate

    X, y = load_breast_cancer(return_X_y=True)
    model = make_pipeline(
        StandardScaler(), DeepBinaryClassifier((5,), max_iter=40, random_state=3)
    )
    cv = StratifiedKFold(4, shuffle=True, random_state=0)
    said = []
    scores = cross_validate(model, X, y, cv, n_jobs=2, say=said.append)
    np.testing.assert_array_equal(scores, cross_val_score(model, X, y, cv=cv))
    assert sorted(said)[0].startswith("fold 1/4 done: ") and len(said) == 4
    assert not hasattr(model[-1], "coefs_")  # clones were fitted


def test_choices_come_from_the_estimators_tables():
    from skdnn._solvers import OPTIMIZERS
    from skdnn.activations import ACTIVATIONS
    from skdnn.cli import build_parser
    from skdnn.cli._building import MODELS

    train = build_parser()._subparsers._group_actions[0].choices["train"]
    options = {a.dest: a for a in train._actions}
    assert options["solver"].choices == sorted({*OPTIMIZERS, "lbfgs"})
    assert options["activation"].choices == sorted(ACTIVATIONS)
    assert options["model"].choices == list(MODELS)
    assert "deep 0.0075, logistic 0.005" in options["learning_rate"].help


def test_feature_steps_is_the_one_place_for_the_preprocessing(bad_csv):
    from skdnn.cli._building import check_features, feature_steps
    from skdnn.cli._errors import CommandError
    from skdnn.preprocessing import TabularEncoder

    X, _ = read_csv(bad_csv["good"], "label")
    assert [type(s) for s in feature_steps(X)] == [TabularEncoder, StandardScaler]
    assert [type(s) for s in feature_steps(X, "none")] == [TabularEncoder]
    assert [type(s) for s in feature_steps(X.to_numpy())] == [StandardScaler]
    assert check_features(X) == []  # numbers, nothing missing: nothing to say
    X["x0"] = X["x0"].astype(object)
    X.loc[20, "x0"] = "seven"
    X.loc[[3, 5], "x1"] = np.nan
    assert check_features(X) == [
        f"one-hot encoded (categories): x0 ({X['x0'].nunique()})",
        "missing values, filled in training and in predict alike (numbers: the "
        "training mean; categories: none of their columns): x1 (2)",
    ]
    X["x1"] = np.inf
    with pytest.raises(CommandError, match=r"Column 'x1' of X holds infinite"):
        check_features(X)


@pytest.fixture(scope="module")
def mixed_csv(tmp_path_factory):
    """A CSV file as users bring them: text columns, missing cells in
    numbers and text, a text target; and new rows with an unseen city, a
    missing cell, the columns in another order and no target."""
    pd = pytest.importorskip("pandas")
    rng = np.random.RandomState(0)
    n = 300
    frame = pd.DataFrame(
        {
            "age": rng.randint(18, 80, n).astype(float),
            "city": rng.choice(["rome", "paris", "oslo"], n),
            "income": rng.normal(50, 15, n).round(1),
        }
    )
    logit = (frame["age"] - 45) / 8 + 2 * (frame["city"] == "rome") - 1
    frame["label"] = np.where(rng.rand(n) < 1 / (1 + np.exp(-logit)), "buy", "skip")
    frame.loc[rng.rand(n) < 0.1, "income"] = np.nan
    frame.loc[rng.rand(n) < 0.05, "city"] = np.nan
    folder = tmp_path_factory.mktemp("mixed")
    frame.to_csv(folder / "train.csv", index=False)
    new = frame.drop(columns="label").head(12)[["income", "city", "age"]].copy()
    new.loc[0, "city"], new.loc[1, "age"] = "lima", np.nan
    new.to_csv(folder / "new.csv", index=False)
    return {"train": folder / "train.csv", "new": new, "new_csv": folder / "new.csv"}


def test_a_csv_with_text_and_missing_cells_trains_saves_and_predicts_raw_rows(
    mixed_csv, tmp_path, capsys
):
    """One-hot text columns, missing cells filled, the same rule in predict:
    the model file's pipeline predicts the raw new rows as the trained
    pipeline does, and skdnn info shows the preprocessing."""
    model = tmp_path / "model.h5"
    argv = ["train", "--data", mixed_csv["train"], "--target", "label", "--cv", "3"]
    argv += ["--model", "classifier", "--solver", "lbfgs", "--quiet", "--out", model]
    assert main([str(a) for a in argv]) == 0
    out = capsys.readouterr().out
    assert "after TabularEncoder + StandardScaler" in out
    assert "one-hot encoded (categories): city (3)" in out
    assert "missing values, filled in training and in predict alike" in out
    assert _accuracy(out) > 0.7
    loaded = load_model(model)
    assert main(["predict", str(model), str(mixed_csv["new_csv"]), "--proba"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "prediction,proba_buy,proba_skip"
    expected = loaded.predict_proba(mixed_csv["new"][loaded.feature_names_in_])
    got = np.array([[float(v) for v in line.split(",")[1:]] for line in lines[1:]])
    np.testing.assert_array_equal(got, expected)
    assert main(["info", str(model)]) == 0
    info = capsys.readouterr().out
    assert "numeric columns = age, income" in info
    assert "one-hot columns = city (3)" in info


def test_export_of_a_csv_model(mixed_csv, tmp_path, capsys):
    """Numbers only: the network is exported, and the line says what the
    graph does not do; one-hot columns: refused in one line."""
    pytest.importorskip("onnxruntime")
    pd = pytest.importorskip("pandas")
    frame = pd.read_csv(mixed_csv["train"]).drop(columns="city").dropna()
    numbers = tmp_path / "numbers.csv"
    frame.to_csv(numbers, index=False)
    for data, name in [(numbers, "numbers"), (mixed_csv["train"], "mixed")]:
        argv = ["train", "--data", data, "--target", "label", "--cv", "0"]
        argv += ["--max-iter", "20", "--quiet", "--out", tmp_path / f"{name}.h5"]
        assert main([str(a) for a in argv]) == 0
    capsys.readouterr()
    onnx_file = tmp_path / "numbers.onnx"
    assert main(["export", str(tmp_path / "numbers.h5"), str(onnx_file)]) == 0
    assert "does not fill missing values" in capsys.readouterr().out
    assert onnx_file.is_file()
    line = _error_line(capsys, ["export", tmp_path / "mixed.h5", tmp_path / "m.onnx"])
    assert "one-hot encodes text columns" in line


def test_predict_takes_the_columns_by_name_and_warns_of_nothing(
    bad_csv, tmp_path, capsys
):
    """Columns in another order, the target among them, or a .npy array of
    the features: the same predictions, and no warning (PYTHONWARNINGS=error)."""
    model = tmp_path / "model.h5"
    train = ["train", "--data", bad_csv["good"], "--target", "label", "--cv", "0"]
    train += ["--max-iter", "200", "--quiet", "--out", model]
    assert main([str(a) for a in train]) == 0
    capsys.readouterr()
    X, _ = read_csv(bad_csv["good"], "label")
    shuffled = _write(tmp_path / "shuffled.csv", X[["x1", "x0"]].to_csv(index=False))
    rows = tmp_path / "rows.npy"
    np.save(rows, X.to_numpy())
    outputs = []
    env = {**os.environ, "PYTHONWARNINGS": "error"}
    for rows_file in (bad_csv["good"], shuffled, rows):
        result = _run("predict", model, rows_file, env=env)
        assert result.returncode == 0 and result.stderr == "", result.stderr
        outputs.append(result.stdout)
    assert outputs[0] == outputs[1] == outputs[2]
    assert set(outputs[0].splitlines()[1:]) <= {"yes", "no"}
    # a missing cell is filled as in training (the training mean)
    result = _run("predict", model, bad_csv["nan"], env=env)
    assert result.returncode == 0 and result.stderr == "", result.stderr


@pytest.mark.parametrize(
    "options, expected",
    [
        ([], {"solver": "lbfgs", "alpha": 10.0, "hidden_layer_sizes": (100,)}),
        (["--alpha", "1"], {"solver": "lbfgs", "alpha": 1.0, "max_iter": 100}),
        (["--model", "regressor"], {"solver": "lbfgs", "alpha": 10.0}),
        (["--solver", "adam"], {"solver": "adam", "alpha": 0.0}),
        (["--learning-rate", "0.1"], {"solver": "gd", "learning_rate": 0.1}),
        (["--model", "logistic"], {"solver": "gd", "alpha": 0.0}),
    ],
)
def test_a_csv_file_gets_the_tabular_settings_unless_a_solver_is_named(
    bad_csv, options, expected
):
    from skdnn.cli import build_parser
    from skdnn.cli._building import make_estimator, recommend

    argv = ["train", "--data", str(bad_csv["good"]), "--target", "label", *options]
    args = build_parser().parse_args(argv)
    estimator = make_estimator(args)
    X, _ = read_csv(bad_csv["good"], "label")
    notes = recommend(estimator, args, X)
    params = estimator.get_params()
    assert {name: params[name] for name in expected} == expected
    assert bool(notes) == (params["solver"] == "lbfgs")
    if notes:
        assert notes[0].startswith("settings for tabular data (no --solver given)")


def test_built_in_data_keeps_the_models_defaults():
    from skdnn.cli import build_parser
    from skdnn.cli._building import make_estimator, recommend

    args = build_parser().parse_args(["train"])
    estimator = make_estimator(args)
    assert recommend(estimator, args, np.zeros((5, 2))) == []
    assert estimator.get_params()["solver"] == "gd"


def test_drop_leaves_columns_out_of_the_features(mixed_csv, tmp_path, capsys):
    """An identifier column would be refused (more than 100 categories):
    --drop leaves it out, and the model file does not ask for it."""
    pd = pytest.importorskip("pandas")
    frame = pd.read_csv(mixed_csv["train"])
    frame.insert(0, "customer", [f"c{i}" for i in range(len(frame))])
    data = tmp_path / "with_ids.csv"
    frame.to_csv(data, index=False)
    train = ["train", "--data", data, "--target", "label", "--cv", "0", "--quiet"]
    line = _error_line(capsys, train)
    assert "'customer'" in line and "max_categories" in line
    model = tmp_path / "model.h5"
    assert main([str(a) for a in [*train, "--drop", "customer", "--out", model]]) == 0
    assert load_model(model).feature_names_in_.tolist() == ["age", "city", "income"]
    capsys.readouterr()
    assert main(["predict", str(model), str(mixed_csv["new_csv"])]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 1 + len(mixed_csv["new"])
    for argv, message in [
        ([*train, "--drop", "nope"], "has no column 'nope' (--drop)"),
        ([*train, "--drop", "label"], "--drop names the target column 'label'"),
        (["train", "--drop", "x"], "--drop goes with --data FILE.csv"),
    ]:
        assert message in _error_line(capsys, argv)


def test_convergence_warnings_are_one_line_each(capsys):
    """Not joblib's file, line and source blocks: each message once, with
    how many folds gave it; the final fit's and the search's likewise."""
    argv = ["--model", "classifier", "--max-iter", "20", "--cv", "3", "--quiet"]
    assert main(["train", *argv]) == 0
    err = capsys.readouterr().err.splitlines()
    message = "solver='adam' reached max_iter=20 before the cost went"
    assert len(err) == 2, err
    assert err[0].startswith(f"warning (3 of 3 folds): {message}")
    assert err[1].startswith(f"warning: {message}")
    assert main(["search", *argv, "--grid", "alpha=0,0.1"]) == 0
    assert capsys.readouterr().err.splitlines() == [
        f"warning (in the search): {message} n_iter_no_change=10 epochs without "
        "improving by tol=0.0001."
    ]
