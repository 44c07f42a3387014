"""``python -m benchmarks.tabular --quick`` end to end: the file it writes has
the recommendation, a summary per section with every contender once, a table
per data set, and finite numbers in range. No timing or score is asserted:
the quick data say nothing."""

import math
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.tabular import (
    QUICK_ROWS,
    TIME_ALL,
    TIME_GEOMETRIC,
    sections,
)
from skdnn._recommended import tabular_params

pytestmark = pytest.mark.slow  # about 25 s on 2 cores

REPO = Path(__file__).resolve().parents[1]
FOLDS = 3  # --quick


def _cells(line):
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def _tables(text):
    """``{section title: [row as {header: cell}]}`` of each ``## `` section
    holding a Markdown table."""
    tables = {}
    for part in text.split("\n## ")[1:]:
        title, _, body = part.partition("\n")
        lines = [line for line in body.splitlines() if line.startswith("|")]
        if lines:
            headers = _cells(lines[0])
            tables[title] = [
                dict(zip(headers, _cells(line), strict=True)) for line in lines[2:]
            ]
    return tables


def _finite(cell):
    value = float(cell)
    assert math.isfinite(value), cell
    return value


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    output = tmp_path_factory.mktemp("tabular") / "RESULTS-tabular.md"
    command = [sys.executable, "-m", "benchmarks.tabular", "--quick"]
    completed = subprocess.run(
        command + ["--output", str(output)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    text = output.read_text()
    assert text in completed.stdout  # printed too
    return text, _tables(text)


@pytest.fixture(scope="module")
def planned():
    """``[(section, data loaders)]`` as the quick run plans them."""
    return sections(quick=True)


def test_header_recommendation_and_machine(results):
    text, _ = results
    assert "**quick** mode" in text
    assert "threadpool_limits(1)" in text and "time.process_time" in text
    rule = ", ".join(f"{k}={v!r}" for k, v in tabular_params(1, 1).items())
    assert f"returns `{rule}`" in text
    # one line per recommended contender: binary (2), multiclass, regression
    assert text.count("(**tabular_params(n, p))`: mean ") == 4
    for needle in ("scikit-learn", "num_threads=", "1-minute load average"):
        assert needle in text, needle


def test_summaries_have_every_contender_once(results, planned):
    tables = results[1]
    for section, loaders in planned:
        rows = tables[f"Summary: {section.title} ({len(loaders)} data sets)"]
        assert [row["contender"] for row in rows] == [
            c.label for c in section.contenders
        ]
        m = section.metric
        for row in rows:
            score = _finite(row[f"mean {m}"])
            assert -math.inf < score <= 1
            if not section.regression:
                assert 0 <= score <= 1 and 0 <= _finite(row["mean accuracy"]) <= 1
                assert 0 <= int(row["single-class folds"]) <= FOLDS * len(loaders)
            assert 1 <= _finite(row[f"mean rank ({m})"]) <= len(rows)
            _finite(row[f"worst {m} - MLP"])
            assert _finite(row["CPU s, all fits"]) > 0
            assert _finite(row[TIME_ALL]) > 0 and _finite(row[TIME_GEOMETRIC]) > 0
        assert rows[0]["contender"].startswith("MLP")
        assert rows[0][TIME_ALL] == "1.00"


def test_a_table_per_data_set(results, planned):
    tables = results[1]
    described = {row["data set"]: row for row in tables["Data sets"]}
    for section, loaders in planned:
        for key in loaders:
            assert 0 < int(described[key]["rows"]) <= QUICK_ROWS
            rows = tables[f"{section.title}: {key}"]
            assert [row["contender"] for row in rows] == [
                c.label for c in section.contenders
            ]
            for row in rows:
                _finite(row[section.metric])
                assert _finite(row["CPU s"]) > 0
                epochs = row["epochs (mean n_iter_)"]
                assert epochs == "n/a" or _finite(epochs) > 0  # Ridge has none
                if not section.regression:
                    assert 0 <= int(row["single-class folds"]) <= FOLDS
