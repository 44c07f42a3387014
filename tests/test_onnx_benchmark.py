"""``python -m benchmarks.onnx_latency``: its section has a row per workload,
dtype and row count with positive numbers, and replaces its own earlier
section in the results file, leaving the rest as it was. No timing is
asserted: the numbers depend on the machine."""

import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.onnx_latency import HEADERS, TITLE, write_section

REPO = Path(__file__).resolve().parents[1]


def test_section_replaces_itself_and_keeps_the_rest(tmp_path):
    path = tmp_path / "RESULTS.md"
    path.write_text("# skdnn benchmarks\n\n## Machine\n\n- cpu\n")
    write_section(path, f"{TITLE}\n\nfirst")
    write_section(path, f"{TITLE}\n\nsecond")
    text = path.read_text()
    assert text == f"# skdnn benchmarks\n\n## Machine\n\n- cpu\n\n{TITLE}\n\nsecond\n"
    path.write_text(f"# top\n\n{TITLE}\n\nold\n\n## After\n\nkept\n")
    write_section(path, f"{TITLE}\n\nnew")
    assert path.read_text() == f"# top\n\n{TITLE}\n\nnew\n\n## After\n\nkept\n"


@pytest.mark.slow  # about 20 s on 2 cores
def test_quick_run(tmp_path):
    pytest.importorskip("onnxruntime", reason='needs pip install "skdnn[onnx]"')
    pytest.importorskip("skl2onnx", reason='needs pip install "skdnn[onnx]"')
    output = tmp_path / "RESULTS.md"
    completed = subprocess.run(
        [sys.executable, "-m", "benchmarks.onnx_latency", "--quick"]
        + ["--workload", "tall", "--output", str(output)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    text = output.read_text()
    assert text.startswith(TITLE) and text.strip() in completed.stdout
    lines = [line for line in text.splitlines() if line.startswith("| tall")]
    assert len(lines) == 4  # 2 dtypes x 2 row counts
    for line in lines:
        cells = dict(zip(HEADERS, line.strip("|").split("|"), strict=True))
        for column in HEADERS[4:7]:  # the times and their ratio
            assert float(cells[column]) > 0, (column, line)
        assert float(cells["max abs difference"]) < 1e-4
