"""Markdown rendering of the results and of the machine they come from."""

import datetime
import math
import os
import platform
import subprocess
from pathlib import Path

import numpy as np
import scipy
import sklearn
from threadpoolctl import threadpool_info

import skdnn

from .contenders import torch_version


def number(x):
    """``x`` with three significant digits (all integer digits when larger),
    never in scientific notation: the tables are read by people and parsed
    by the test."""
    if x == 0 or not math.isfinite(x):
        return str(x)
    decimals = max(0, 2 - math.floor(math.log10(abs(x))))
    return f"{x:.{decimals}f}"


def table(headers, rows):
    """A Markdown table; float cells go through :func:`number`."""
    cells = [
        [number(c) if isinstance(c, float) else str(c) for c in row] for row in rows
    ]
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(row) + " |" for row in cells]
    return "\n".join(lines)


def _cpu_model():
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def _git_revision(folder):
    """``git describe --always --dirty`` of the repository holding
    ``folder``, or ``"not a git checkout"``."""
    try:
        out = subprocess.run(
            ["git", "-C", str(folder), "describe", "--always", "--dirty"],
            capture_output=True,
            text=True,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError):
        return "not a git checkout"
    return out.stdout.strip()


def machine_info():
    """Bullet lines: versions, BLAS, CPUs, date and load."""
    affinity = (
        len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else "n/a"
    )
    lines = [
        f"date: {datetime.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}",
        f"python {platform.python_version()}, numpy {np.__version__}, "
        f"scipy {scipy.__version__}, scikit-learn {sklearn.__version__}, "
        f"skdnn {skdnn.__version__} ({Path(skdnn.__file__).parent}, git "
        f"{_git_revision(Path(skdnn.__file__).parent)}), "
        f"torch {torch_version() or 'not importable'}",
        f"CPU: {_cpu_model()}; os.cpu_count() = {os.cpu_count()}, "
        f"usable by this process = {affinity}; {platform.platform()}",
    ]
    for pool in threadpool_info():
        lines.append(
            f"{pool.get('user_api')}: internal_api={pool.get('internal_api')}, "
            f"version={pool.get('version')}, "
            f"num_threads={pool.get('num_threads')}, "
            f"architecture={pool.get('architecture', 'n/a')}, "
            f"file={Path(pool.get('filepath', '?')).name}"
        )
    return lines


def load_average():
    """The 1-minute load average, or ``nan`` where the OS has none."""
    return os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
