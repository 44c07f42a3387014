"""``python -m benchmarks --quick`` end to end: the file it writes has every
table, row and column, with positive finite numbers. No timing is asserted:
the numbers depend on the machine."""

import math
import re
import subprocess
import sys
from collections import defaultdict
from itertools import product
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # the quick suite takes about 75 s on 2 cores

REPO = Path(__file__).resolve().parents[1]
WORKLOADS = ("cat", "tall")
DTYPES = ("float64", "float32")
CONTENDERS = (
    "floor (matmuls only)",
    "skdnn DeepBinaryClassifier",
    "sklearn MLPClassifier",
)


def _cells(line):
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def _tables(text):
    """``{section title: [row as {header: cell}]}`` for each ``## `` section
    that holds a Markdown table."""
    tables = {}
    for section in text.split("\n## ")[1:]:
        title, _, body = section.partition("\n")
        lines = [line for line in body.splitlines() if line.startswith("|")]
        if lines:
            headers = _cells(lines[0])
            tables[title] = [
                dict(zip(headers, _cells(line), strict=True)) for line in lines[2:]
            ]
    return tables


def _assert_numbers(rows, columns, allow_zero=(), signed=False):
    """Every cell of ``columns`` is a finite number (positive unless
    ``signed``: a difference of two timings can come out negative on a
    loaded machine, and no test asserts a timing)."""
    for row in rows:
        for column in columns:
            if row[column].startswith("n/a"):
                continue
            value = float(row[column])
            assert math.isfinite(value), (column, row)
            if not signed:
                assert value > 0 or (column in allow_zero and value == 0), (
                    column,
                    row,
                )


def _keys(rows, *columns):
    return sorted(tuple(row[c] for c in columns) for row in rows)


def _assert_every_contender_everywhere(rows):
    """Each workload x dtype has the three contenders that always run (more
    where they apply: PyTorch, skdnn's other space), each once."""
    by_case = defaultdict(list)
    for row in rows:
        by_case[row["workload"], row["dtype"]].append(row["contender"])
    assert sorted(by_case) == sorted(product(WORKLOADS, DTYPES))
    for names in by_case.values():
        assert len(names) == len(set(names))
        assert set(CONTENDERS) <= set(names)


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    output = tmp_path_factory.mktemp("benchmarks") / "RESULTS.md"
    completed = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--output", str(output)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    text = output.read_text()
    assert text in completed.stdout  # the table is printed too
    return text, _tables(text)


def test_header_says_quick_and_describes_the_machine(results):
    text, _ = results
    assert "**quick** mode" in text
    for needle in (
        "numpy",
        "scipy",
        "scikit-learn",
        "internal_api=",
        "version=",
        "num_threads=",
        "architecture=",
        "os.cpu_count()",
        "date:",
        "- cat: ",
        "- tall: ",
    ):
        assert needle in text, needle


def test_fit_time_per_iteration(results):
    rows = results[1]["Fit time per iteration"]
    _assert_every_contender_everywhere(rows)
    _assert_numbers(rows, ["ms / iteration", "/ floor", "/ MLPClassifier"], signed=True)
    _assert_numbers(rows, ["others' CPU %"], allow_zero={"others' CPU %"})
    for row in rows:
        assert row["trained in"] == row["dtype"]  # nobody upcasts float32
        if row["contender"] == CONTENDERS[0]:
            assert row["/ floor"] == "1.00"


def test_predict_proba_latency(results):
    rows = results[1]["predict_proba latency"]
    assert _keys(rows, "workload", "dtype", "rows") == sorted(
        product(WORKLOADS, DTYPES, ("1", "10000"))
    )
    _assert_numbers(
        rows, ["repeats", "skdnn (ms)", "MLPClassifier (ms)", "skdnn / MLPClassifier"]
    )


def test_peak_memory(results):
    rows = results[1]["Peak memory of one fit"]
    _assert_every_contender_everywhere(rows)
    # A fit may stay within pages the process already had: ru_maxrss can
    # legitimately not grow.
    _assert_numbers(
        rows,
        ["X (MiB)", "ru_maxrss growth (MiB)", "tracemalloc peak (MiB)"],
        allow_zero={"ru_maxrss growth (MiB)"},
    )


def test_end_to_end(results):
    (row,) = results[1]["End to end: the course's cat run"]
    assert row["fit"] == "cat float64, 250 iterations"
    _assert_numbers([row], [column for column in row if column != "fit"])


def test_dask_fit_quick():
    """``python -m benchmarks.dask_fit --quick`` runs and prints its table."""
    pytest.importorskip("dask.array", reason="dask is not installed")
    completed = subprocess.run(
        [sys.executable, "-m", "benchmarks.dask_fit", "--quick"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert (
        "| workload | X | way | ms / iteration | overhead ms / iteration |"
        in completed.stdout
    )


# -- python -m benchmarks.solvers --quick ------------------------------------------

SOLVERS_SECTIONS = {
    "1. The course's cat run, whole fit": 1,
    "2. Mini-batch Adam, time per epoch": len(DTYPES),
    "3. A whole full-batch fit against the matmul floor": len(DTYPES),
    "4. L-BFGS: time to MLPClassifier's final loss": 1,
    "5. predict_proba latency, 1 row": len(WORKLOADS) * len(DTYPES),
}
#: Summary lines per measurement number: cat (time, costs), adam (2 dtypes),
#: whole fit (2 dtypes), lbfgs, predict (4), issue 14 (digits accuracy and
#: time, Friedman R² and time, housing with two solvers).
SOLVERS_SUMMARY = {"1": 2, "2": 2, "3": 2, "4": 1, "5": 4, "6": 6}


def _number_or_text(cell):
    """A cell of the solvers tables: a finite number (negative allowed: a
    one-repeat difference of two quick fits can be), or text for what has
    no number (n/a, an error, a signed difference)."""
    try:
        value = float(cell)
    except ValueError:
        assert cell, "empty cell"
        return None
    assert math.isfinite(value), cell
    return value


@pytest.fixture(scope="module")
def solvers_results(tmp_path_factory):
    """The quick run, with BLAS on one thread: on a busy machine threaded
    BLAS on these small products waits for descheduled threads, and the run
    must stay a few seconds long whatever the load."""
    output = tmp_path_factory.mktemp("solvers") / "RESULTS-solvers.md"
    command = [sys.executable, "-m", "benchmarks.solvers", "--quick"]
    command += ["--blas-threads", "1", "--output", str(output)]
    completed = subprocess.run(
        command, cwd=REPO, capture_output=True, text=True, timeout=300, check=False
    )
    assert completed.returncode == 0, completed.stderr
    text = output.read_text()
    assert text in completed.stdout
    return text, _tables(text)


def test_solvers_header_and_machine(solvers_results):
    text, tables = solvers_results
    assert "**quick** mode" in text
    assert "BLAS limited to 1 thread(s)" in text
    for needle in ("num_threads=1", "1-minute load average", "- cat: ", "- adam: "):
        assert needle in text, needle
    assert list(tables) == [
        "Summary",
        *SOLVERS_SECTIONS,
        "6. Issue 14: DeepClassifier and DeepRegressor",
    ]


def test_solvers_summary(solvers_results):
    rows = solvers_results[1]["Summary"]
    counts = defaultdict(int)
    for row in rows:
        counts[row["measurement"].split(".")[0]] += 1
        assert row["met?"] in {"yes", "no", "n/a"}, row
        assert row["target"], row
        for column in ("skdnn", "other", "skdnn / other", "others' CPU %"):
            _number_or_text(row[column])
    assert dict(counts) == SOLVERS_SUMMARY
    # rows timed in s or ms: both sides and their ratio are numbers
    timed = [row for row in rows if re.search(r"\((s|ms)\b", row["measurement"])]
    assert len(timed) == 12
    for row in timed:
        ours, theirs, ratio = (
            _number_or_text(row[c]) for c in ("skdnn", "other", "skdnn / other")
        )
        if row["measurement"].startswith("4.") and ours is None:
            continue  # skdnn did not reach MLPClassifier's loss: said in words
        assert None not in (ours, theirs, ratio), row
        assert ratio == pytest.approx(ours / theirs, rel=0.02, abs=1e-3), row


def test_solvers_sections(solvers_results):
    tables = solvers_results[1]
    for title, n_rows in SOLVERS_SECTIONS.items():
        assert len(tables[title]) == n_rows, title
        for row in tables[title]:
            for cell in filter(None, row.values()):
                _number_or_text(cell)
    (cat,) = tables["1. The course's cat run, whole fit"]
    assert cat["fit"] == "cat float64, 20 iterations"
    for title in ("2. Mini-batch Adam, time per epoch",):
        for row in tables[title]:
            assert row["trained in"] == f"{row['dtype']} / {row['dtype']}"
    for row in tables["3. A whole full-batch fit against the matmul floor"]:
        assert row["trained in"] == row["dtype"]
        numpy, ours = (float(row[c]) for c in ("bare NumPy loop (s)", "skdnn (s)"))
        assert float(row["skdnn / NumPy loop"]) == pytest.approx(
            ours / numpy, rel=0.02, abs=1e-3
        )
    issue_14 = tables["6. Issue 14: DeepClassifier and DeepRegressor"]
    assert {row["data"] for row in issue_14} == {
        "digits",
        "Friedman #1",
        "housing neuron",
    }
