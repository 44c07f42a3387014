"""Every script in ``examples/`` runs headless, exits with 0 and writes its
figures where it is told to."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from skdnn.datasets import load_catvnoncat

pytest.importorskip("matplotlib")

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _example(script, figures, *, needs_cats, prints=(), slow=False):
    marks = [pytest.mark.slow] if slow else []
    return pytest.param(script, figures, needs_cats, prints, id=script, marks=marks)


# The script, the figures it writes, whether it needs the cat pictures, and
# lines of its output. Wall times on 2 idle cores: about 4 s for each cat
# script, 2 s for the housing neuron, 3 s for the digits (six fits of each
# estimator), 10 s for the grid search (18 fits and a refit), and two to four
# times that when other jobs share the cores: the grid search is marked slow.
EXAMPLE_RUNS = [
    _example(
        "plot_logistic_regression_cats.py",
        [
            "logistic_regression_cats_cost.png",
            "logistic_regression_cats_learning_rates.png",
        ],
        needs_cats=True,
        prints=["train accuracy: 99.04 %", "test accuracy: 70.00 %"],
    ),
    _example(
        "plot_l_layer_cats.py",
        ["l_layer_cats_cost.png", "l_layer_cats_mislabeled.png"],
        needs_cats=True,
        prints=[
            "2-layer (7,): train accuracy 1.000, test accuracy 0.72",
            "L-layer (20, 7, 5): train accuracy 0.986, test accuracy 0.80",
        ],
    ),
    _example(
        "plot_housing_neuron.py",
        ["housing_neuron_fit.png", "housing_neuron_cost.png"],
        needs_cats=False,
        prints=[
            "w = 149.6, b = -100.2 (true: 150, -100)",
            "R^2 = 0.9925 after 763 iterations",
            "random_state=2: w = 149.63, R^2 = 0.99",
            "switched off: R^2 = -2.61",
        ],
    ),
    _example(
        "plot_digits_classifier.py",
        ["digits_classifier_loss.png", "digits_classifier_mistakes.png"],
        needs_cats=False,
        prints=[
            "1347 training and 450 test digits, 10 classes",
            "estimator         test accuracy  epochs  fit time",
            "out_activation_='softmax', n_outputs_=10",
        ],
    ),
    _example(
        "plot_grid_search.py",
        ["grid_search_scores.png", "grid_search_best_cost.png"],
        needs_cats=False,
        prints=["rank  hidden_layer_sizes  alpha"],
        slow=True,
    ),
]


def _cats_missing():
    """Why the cat pictures cannot be found, or None when they can."""
    try:
        load_catvnoncat("test")
    except FileNotFoundError:
        return (
            "the example needs the course's cat pictures: set SKDNN_DATA to "
            "the folder holding catvnoncat/"
        )
    return None


def _run(script, *args, cwd, env=None):
    """Run an example as a user would, with matplotlib drawing to files."""
    run_env = {k: v for k, v in os.environ.items() if k != "SKDNN_OUTPUT_DIR"}
    run_env.update(MPLBACKEND="Agg", **(env or {}))
    return subprocess.run(
        [sys.executable, str(EXAMPLES / script), *args],
        cwd=cwd,
        env=run_env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def _assert_png(path):
    assert path.is_file(), f"{path.name} was not written"
    with path.open("rb") as f:
        assert f.read(len(PNG_SIGNATURE)) == PNG_SIGNATURE, f"{path.name} is no PNG"
    assert path.stat().st_size > 1000, f"{path.name} is almost empty"


def test_every_example_is_tested():
    scripts = sorted(path.name for path in EXAMPLES.glob("*.py"))
    assert scripts == sorted(run.values[0] for run in EXAMPLE_RUNS)


@pytest.mark.parametrize("script, figures, needs_cats, prints", EXAMPLE_RUNS)
def test_example_runs_and_writes_its_figures(
    script, figures, needs_cats, prints, tmp_path
):
    if needs_cats and (reason := _cats_missing()):
        pytest.skip(reason)
    cwd, output_dir = tmp_path / "cwd", tmp_path / "figures"
    cwd.mkdir()

    result = _run(script, "--output-dir", str(output_dir), cwd=cwd)

    assert result.returncode == 0, result.stderr
    for line in prints:
        assert line in result.stdout
    for figure in figures:
        _assert_png(output_dir / figure)
    assert sorted(p.name for p in output_dir.iterdir()) == sorted(figures)
    assert not any(cwd.iterdir()), "the example wrote outside --output-dir"


def test_output_dir_from_the_environment(tmp_path):
    if reason := _cats_missing():
        pytest.skip(reason)
    output_dir = tmp_path / "from-env"

    result = _run(
        "plot_logistic_regression_cats.py",
        cwd=tmp_path,
        env={"SKDNN_OUTPUT_DIR": str(output_dir)},
    )

    assert result.returncode == 0, result.stderr
    _assert_png(output_dir / "logistic_regression_cats_cost.png")


@pytest.fixture
def no_cat_pictures(tmp_path):
    """Environment variables under which no cat pictures can be found:
    ``$SKDNN_DATA`` is an empty folder and ``~/skdnn_data`` does not exist."""
    empty = tmp_path / "no-data"
    empty.mkdir()
    return {"SKDNN_DATA": str(empty), "HOME": str(empty)}


@pytest.mark.parametrize(
    "script", ["plot_logistic_regression_cats.py", "plot_l_layer_cats.py"]
)
def test_cat_example_without_the_pictures_fails_clearly(
    script, no_cat_pictures, tmp_path
):
    result = _run(
        script, "--output-dir", str(tmp_path), cwd=tmp_path, env=no_cat_pictures
    )

    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "--data-home or set SKDNN_DATA" in result.stderr
    assert no_cat_pictures["SKDNN_DATA"] in result.stderr  # where it looked
    assert not list(tmp_path.glob("*.png"))


@pytest.mark.slow
def test_grid_search_without_the_pictures_uses_breast_cancer(no_cat_pictures, tmp_path):
    result = _run(
        "plot_grid_search.py",
        "--output-dir",
        str(tmp_path),
        cwd=tmp_path,
        env=no_cat_pictures,
    )

    assert result.returncode == 0, result.stderr
    assert "using scikit-learn's breast-cancer data instead" in result.stdout
    _assert_png(tmp_path / "grid_search_scores.png")
