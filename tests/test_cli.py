"""``skdnn train`` end to end, as a user runs it (in a subprocess)."""

import re
import subprocess
import sys

import pytest

from skdnn.cli import main


def _run(*args):
    return subprocess.run(
        [sys.executable, "-m", "skdnn", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_train_runs_end_to_end_and_prints_an_accuracy():
    result = _run("train", "--max-iter", "300", "--learning-rate", "0.05")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "5-fold cross-validation accuracy" in out
    mean, std = map(float, re.search(r"mean (\S+) ± (\S+)", out).groups())
    assert 0.9 < mean <= 1 and 0 <= std < 0.1
    assert re.search(r"Cost after iteration 0: \d\.\d{6}", out)
    assert "Cost after iteration 299:" in out
    accuracy = float(re.search(r"held-out accuracy: (\S+)", out).group(1))
    assert 0.9 < accuracy <= 1


def test_train_with_the_defaults_in_process(capsys):
    assert main(["train", "--model", "logistic", "--cv", "3"]) == 0
    out = capsys.readouterr().out
    assert "LogisticRegressionGD" in out
    assert len(re.search(r"accuracy:\n  (.*)\n", out).group(1).split()) == 3
    assert float(re.search(r"held-out accuracy: (\S+)", out).group(1)) > 0.9


@pytest.mark.parametrize(
    "args, message",
    [
        (["--learning-rate", "-1"], "learning_rate"),
        (["--alpha", "-0.5"], "alpha"),
        (["--cv", "1"], "--cv"),
        (["--test-size", "1.5"], "--test-size"),
        (["--max-iter", "0"], "max_iter"),
    ],
)
def test_bad_values_give_one_line_and_exit_code_2(args, message, capsys):
    assert main(["train", *args]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


def test_bad_layer_sizes_are_a_usage_error():
    result = _run("train", "--hidden-layer-sizes", "20,x")
    assert result.returncode == 2
    assert "comma-separated integers" in result.stderr
    assert "Traceback" not in result.stderr
