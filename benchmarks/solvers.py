"""Solvers, whole fits and the estimators of issue 14 side by side with
scikit-learn, each measurement a ratio with its target.

Run from the repository root::

    python -m benchmarks.solvers                 # writes benchmarks/RESULTS-solvers.md
    python -m benchmarks.solvers --quick         # a few seconds: checks it runs
    python -m benchmarks.solvers --blas-threads 1 --output /tmp/RESULTS-solvers.md

What is measured (every contender in the same process, alternating repeats
A B A B ..., medians; see :mod:`benchmarks.timing`):

1. the course's cat run: ``DeepBinaryClassifier(random_state=1)`` (2500
   iterations) against MLPClassifier running the same algorithm, whole fit,
   and skdnn's costs against the published ones;
2. mini-batch Adam on a synthetic 100 000 x 50 table, hidden (100,), batch
   200: time per epoch, float64 and float32;
3. an 8-iteration full-batch fit of the tall workload (20 000 x 100, hidden
   (256, 128)), whole fit, against 8 iterations of the matmul floor;
4. L-BFGS on breast cancer: the time skdnn takes to reach MLPClassifier's
   final training loss against MLPClassifier's fit;
5. 1-row ``predict_proba`` latency (the suite's measurement,
   :meth:`benchmarks.suite.Suite.predict_latency`);
6. issue 14: ``DeepClassifier`` on digits (accuracy, time per epoch),
   ``DeepRegressor`` on Friedman #1 (R², time per epoch) and the housing
   neuron ``DeepRegressor((), out_activation="relu")`` (R²).

The time per epoch of a fit is ``(t(k_hi) - t(k_lo)) / (k_hi - k_lo)`` with
``t(k)`` the time of a fit with ``max_iter = k`` (:func:`timing.per_iteration`):
what a fit costs whatever its length cancels. ``--quick`` shrinks every data
set and iteration count (the numbers then say nothing about speed).
"""

import argparse
import json
import os
import shlex
import statistics
import sys
import time
from contextlib import nullcontext
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np
from sklearn.datasets import load_breast_cancer, load_digits, make_friedman1
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from skdnn import DeepBinaryClassifier, DeepClassifier, DeepRegressor

from . import contenders, report, timing, workloads
from .contenders import fit_quietly, mlp_estimator
from .suite import Suite

DEFAULT_OUTPUT = Path(__file__).parent / "RESULTS-solvers.md"
#: Where the tests find the course's published figures too (tests/conftest.py).
FIGURES = (
    Path(__file__).resolve().parents[2] / "shared" / "reference" / "course_figures.json"
)
#: ``n_iter_no_change`` that never stops a fit.
NEVER = 2**31 - 1
#: Section 2's Adam: learning rate, alpha, batch, beta_1, beta_2, epsilon.
ADAM_HP = (0.001, 1e-4, 200, 0.9, 0.999, 1e-8)
MS = 1e3

SUMMARY_HEADERS = [
    "measurement",
    "skdnn",
    "other",
    "skdnn / other",
    "target",
    "met?",
    "others' CPU %",
]


@dataclass
class Section:
    """One measurement's table, and its lines of the summary table."""

    title: str
    text: str
    headers: list
    rows: list
    summary: list


class Run:
    """The settings of one run; each measurement is a method returning a
    :class:`Section`."""

    def __init__(self, quick, repeats, figures):
        self.quick, self.repeats, self.figures = quick, repeats, figures
        self.started = time.perf_counter()
        self.sources = {}
        self.adam_ratio = None  # float64 ratio of item 2, quoted by item 6

    def log(self, message):
        elapsed = time.perf_counter() - self.started
        print(f"[{elapsed:6.1f} s] {message}", file=sys.stderr, flush=True)

    # -- 1. the course's cat run ------------------------------------------------

    def cat_course(self):
        cat = workloads.workloads(self.quick)["cat"]
        data = workloads.load(cat, "float64")
        self.sources["cat"] = data.source
        n = 20 if self.quick else 2500
        repeats = 1 if self.quick else min(self.repeats, 3)
        self.log(f"cat course run: {n} iterations, {repeats} repeats")
        makers = {
            "skdnn": lambda k: DeepBinaryClassifier(max_iter=k, random_state=1),
            "mlp": lambda k: mlp_estimator(cat.hidden, len(data.y), k, random_state=1),
        }
        fitted = {}

        def fit(name, k=n):
            fitted[name] = fit_quietly(makers[name](k), data.X, data.y)

        for name in makers:  # warm-up: imports, BLAS threads, first touches
            fit(name, 10)
        with timing.OthersCpu() as others:
            seconds = timing.medians(
                {name: partial(fit, name) for name in makers}, repeats, warmup=False
            )
        skdnn, mlp = seconds["skdnn"], seconds["mlp"]
        difference, compared = self._published_difference(fitted["skdnn"], data)
        curves = [fitted[name].loss_curve_[-1] for name in makers]
        rows = [
            [f"cat float64, {n} iterations", repeats, skdnn, mlp, skdnn / mlp]
            + [mlp / skdnn, *curves, difference, compared]
        ]
        summary = [
            [
                f"1. cat course run, {n} iterations, whole fit (s)",
                skdnn,
                mlp,
                skdnn / mlp,
                "<= 0.02 (50x faster)",
                _met(skdnn / mlp <= 0.02),
                others.percent,
            ],
            [
                "1. cat costs: max relative difference to the published ones",
                difference,
                "n/a",
                "n/a",
                "<= 1e-10",
                "n/a" if compared == 0 else _met(float(difference) <= 1e-10),
                "n/a",
            ],
        ]
        return Section(
            "1. The course's cat run, whole fit",
            "`DeepBinaryClassifier(random_state=1)` with its defaults (hidden "
            "(20, 7, 5), relu, gradient descent, learning_rate 0.0075; "
            "`space='auto'` trains in the sample space on these 209 x 12288 "
            "images) against `MLPClassifier(hidden_layer_sizes=(20, 7, 5), "
            "solver='sgd', momentum=0, learning_rate_init=0.0075, "
            "batch_size=209, alpha=0, shuffle=False, tol=0, "
            "n_iter_no_change=2**31-1, random_state=1)`, the same number of "
            "iterations; whole `fit` timed, alternating, after one untimed "
            "10-iteration fit of each. *max rel. difference*: "
            "`max |J_skdnn[i] - J_published[i]| / J_published[i]` over the "
            "published iterations `i` that the fit reached (*compared*), "
            "from the course figures file.",
            [
                "fit",
                "repeats",
                "skdnn (s)",
                "MLPClassifier (s)",
                "skdnn / MLPClassifier",
                "speed-up",
                "final cost skdnn",
                "final cost MLPClassifier",
                "max rel. difference to published costs",
                "compared",
            ],
            rows,
            summary,
        )

    def _published_difference(self, model, data):
        """``(max relative difference as text, number compared)`` of the
        model's costs against the course's published L-layer costs."""
        if not self.figures.is_file():
            return f"n/a ({self.figures} not found)", 0
        if data.source.startswith("SYNTHETIC"):
            return "n/a (synthetic stand-in for the cat images)", 0
        published = json.loads(self.figures.read_text())["l_layer"]["costs"]
        curve = model.loss_curve_
        pairs = [
            (curve[int(i)], c) for i, c in published.items() if int(i) < len(curve)
        ]
        worst = max(abs(ours - c) / c for ours, c in pairs)
        self.sources["published costs"] = str(self.figures)
        return f"{worst:.1e}", len(pairs)

    # -- 2. mini-batch Adam -------------------------------------------------------

    def adam_epoch(self):
        n_rows = 2_000 if self.quick else 100_000
        iterations = (1, 2) if self.quick else (1, 3)
        targets = {"float64": 1 / 2.5, "float32": 1 / 3}
        rows, summary = [], []
        for dtype in workloads.DTYPES:
            data = workloads.synthetic(n_rows, 50, np.dtype(dtype))
            self.sources["adam"] = data.source
            self.log(f"adam per epoch: {n_rows} x 50 {dtype}")
            runners = {
                "skdnn": _runner(
                    partial(_adam_skdnn, DeepBinaryClassifier, (100,)), data
                ),
                "mlp": _runner(partial(_adam_mlp, MLPClassifier, (100,)), data),
                "numpy": contenders.numpy_adam_runner(data, (100,), ADAM_HP),
            }
            with timing.OthersCpu() as others:
                results = timing.per_iteration(runners, iterations, self.repeats)
            (skdnn, trained), (mlp, mlp_trained) = results["skdnn"], results["mlp"]
            bare = results["numpy"][0]
            ratio = skdnn / mlp
            if dtype == "float64":
                self.adam_ratio = ratio
            rows.append(
                [dtype, f"{trained} / {mlp_trained}", skdnn * MS, mlp * MS]
                + [bare * MS, ratio, mlp / skdnn, mlp / bare, skdnn / bare]
                + [others.percent]
            )
            summary.append(
                [
                    f"2. adam, {n_rows} x 50, batch 200, {dtype} (ms / epoch)",
                    skdnn * MS,
                    mlp * MS,
                    ratio,
                    f"<= {targets[dtype]:.3g} ({1 / targets[dtype]:g}x faster)",
                    _met(ratio <= targets[dtype]),
                    others.percent,
                ]
            )
        return Section(
            "2. Mini-batch Adam, time per epoch",
            f"`DeepBinaryClassifier((100,), solver='adam', learning_rate=0.001, "
            f"batch_size=200, alpha=1e-4, tol=None, random_state=0)` against "
            f"`MLPClassifier((100,), solver='adam', learning_rate_init=0.001, "
            f"batch_size=200, alpha=1e-4, tol=0, n_iter_no_change=2**31-1, "
            f"random_state=0)` (both shuffle every epoch) on {n_rows} x 50 "
            f"standard normal features, labels from a random hyperplane plus "
            f"noise. ms per epoch = `(t(max_iter={iterations[1]}) - "
            f"t(max_iter={iterations[0]})) / {iterations[1] - iterations[0]}`, "
            f"median of {self.repeats} alternating repeats. *trained in*: "
            "dtype of the fitted weights, skdnn / MLPClassifier. *bare NumPy "
            "loop*: the same epochs as bare NumPy calls (the gather, forward, "
            "backward, L2 and Adam's whole-vector update; no cost, no "
            "validation, no bookkeeping; `benchmarks.contenders."
            "numpy_adam_epochs`), what plain NumPy reaches here; *its "
            "speed-up*: MLPClassifier / bare NumPy loop.",
            [
                "dtype",
                "trained in",
                "skdnn (ms / epoch)",
                "MLPClassifier (ms / epoch)",
                "bare NumPy loop (ms / epoch)",
                "skdnn / MLPClassifier",
                "speed-up",
                "its speed-up",
                "skdnn / bare NumPy loop",
                "others' CPU %",
            ],
            rows,
            summary,
        )

    # -- 3. a whole full-batch fit against the floor ------------------------------

    def tall_whole_fit(self):
        n_rows = 1_000 if self.quick else 20_000
        n_iter = 8
        workload = workloads.Workload(
            "tall", (256, 128), n_rows, workloads.TALL_FEATURES, (n_iter, n_iter)
        )
        rows, summary = [], []
        for dtype in workloads.DTYPES:
            data = workloads.load(workload, dtype)
            self.sources["tall (whole fit)"] = data.source
            self.log(f"whole fit against the floor: {n_rows} x 100 {dtype}")
            runners = {
                c.key: c.build(workload, data.X, data.y)
                for c in (
                    contenders.FLOOR,
                    contenders.NUMPY_LOOP,
                    contenders.SKDNN,
                    contenders.MLP,
                )
            }
            trained = {}
            with timing.OthersCpu() as others:
                seconds = timing.medians(
                    {
                        key: partial(_record, trained, key, runner, n_iter)
                        for key, runner in runners.items()
                    },
                    self.repeats,
                )
            floor, numpy, skdnn, mlp = (
                seconds[k] for k in ("floor", "numpy", "skdnn", "mlp")
            )
            rows.append(
                [dtype, trained["skdnn"], floor, numpy, skdnn, mlp, numpy / floor]
                + [skdnn / floor, skdnn / numpy, mlp / floor]
                + [(skdnn - floor) / n_iter * MS, others.percent]
            )
            summary.append(
                [
                    f"3. tall {n_rows} x 100, {n_iter}-iteration gd fit, "
                    f"{dtype} (s; other = floor)",
                    skdnn,
                    floor,
                    skdnn / floor,
                    "<= 1.15",
                    _met(skdnn / floor <= 1.15),
                    others.percent,
                ]
            )
        return Section(
            "3. A whole full-batch fit against the matmul floor",
            f"The whole `fit` of `DeepBinaryClassifier((256, 128), 'relu', "
            f"learning_rate=0.0075, max_iter={n_iter}, random_state=0)` "
            f"(validation, init, buffers, {n_iter} iterations, the cost of the "
            f"final parameters, the fitted copies) on {n_rows} x 100 standard "
            f"normal features, against {n_iter} iterations of the floor "
            "runner of `benchmarks.contenders` (the matrix products alone, "
            "into buffers preallocated outside the timing) and the whole "
            "fit of MLPClassifier set up for the same algorithm. *bare NumPy "
            f"loop*: {n_iter} iterations of the whole algorithm as bare NumPy "
            "calls (the products, the bias, ReLU and its derivative, the "
            "sigmoid's delta, the bias gradients, the update; no validation, "
            "cost or bookkeeping; `benchmarks.contenders.numpy_loop`), "
            "what plain NumPy reaches here. Median of "
            f"{self.repeats} alternating repeats after one untimed run each. "
            "*excess ms / iteration*: `(skdnn - floor) / iterations`.",
            [
                "dtype",
                "trained in",
                "floor (s)",
                "bare NumPy loop (s)",
                "skdnn (s)",
                "MLPClassifier (s)",
                "NumPy loop / floor",
                "skdnn / floor",
                "skdnn / NumPy loop",
                "MLPClassifier / floor",
                "excess ms / iteration",
                "others' CPU %",
            ],
            rows,
            summary,
        )

    # -- 4. L-BFGS to MLPClassifier's loss ------------------------------------------

    def lbfgs_reach(self):
        X, y = load_breast_cancer(return_X_y=True)
        X = StandardScaler().fit_transform(X)
        self.sources["breast cancer"] = "sklearn.datasets.load_breast_cancer, scaled"
        self.log("lbfgs on breast cancer")
        probe_iter = 200 if self.quick else 1000

        def mlp():
            return MLPClassifier((100,), solver="lbfgs", random_state=0)

        def skdnn(k):
            return DeepBinaryClassifier(
                (100,), solver="lbfgs", alpha=1e-4, tol=None, max_iter=k, random_state=0
            )

        reference = fit_quietly(mlp(), X, y)
        probe = fit_quietly(skdnn(probe_iter), X, y)
        reached = np.flatnonzero(np.asarray(probe.loss_curve_) <= reference.loss_)
        if reached.size == 0:
            row = ["never", reference.loss_, probe.loss_, reference.n_iter_]
            rows = [row + [probe_iter, "n/a", "n/a", "n/a", "n/a"]]
            summary = [
                [
                    "4. lbfgs breast cancer, time to MLPClassifier's loss (s)",
                    f"not reached in {probe_iter} iterations",
                    "n/a",
                    "n/a",
                    "<= 0.7",
                    "no",
                    "n/a",
                ]
            ]
        else:
            k = int(reached[0]) + 1  # loss_curve_[i]: the cost after iteration i+1
            fitted = {}

            def fit(name):
                fitted[name] = fit_quietly(skdnn(k) if name == "skdnn" else mlp(), X, y)

            with timing.OthersCpu() as others:
                seconds = timing.medians(
                    {name: partial(fit, name) for name in ("skdnn", "mlp")},
                    self.repeats,
                )
            ours, theirs = seconds["skdnn"], seconds["mlp"]
            rows = [
                [k, reference.loss_, fitted["skdnn"].loss_, reference.n_iter_]
                + [probe_iter, ours * MS, theirs * MS, ours / theirs, others.percent]
            ]
            summary = [
                [
                    "4. lbfgs breast cancer, time to MLPClassifier's loss (ms)",
                    ours * MS,
                    theirs * MS,
                    ours / theirs,
                    "<= 0.7",
                    _met(ours / theirs <= 0.7),
                    others.percent,
                ]
            ]
        return Section(
            "4. L-BFGS: time to MLPClassifier's final loss",
            "Breast cancer (569 x 30, `StandardScaler` fitted once, outside "
            "the timing). `MLPClassifier((100,), solver='lbfgs', "
            "random_state=0)` with its defaults (alpha 1e-4, max_iter 200, "
            "tol 1e-4) sets the loss to reach: its `loss_`. "
            "`DeepBinaryClassifier((100,), solver='lbfgs', alpha=1e-4, "
            "tol=None, random_state=0)` is fitted once with a large `max_iter` "
            "(*probe*); *iterations*: the first `i + 1` with `loss_curve_[i] <= "
            "loss_` of MLPClassifier; the timed skdnn fit has `max_iter` = "
            f"that. Median of {self.repeats} alternating repeats after one "
            "untimed fit each.",
            [
                "skdnn iterations",
                "MLPClassifier loss_",
                "skdnn loss_",
                "MLPClassifier n_iter_",
                "probe max_iter",
                "skdnn (ms)",
                "MLPClassifier (ms)",
                "skdnn / MLPClassifier",
                "others' CPU %",
            ],
            rows,
            summary,
        )

    # -- 5. 1-row predict_proba -------------------------------------------------------

    def predict_one_row(self):
        self.log("1-row predict_proba latency (benchmarks.suite)")
        suite = Suite(self.quick, self.repeats, ["cat", "tall"])
        suite.log = self.log
        with timing.OthersCpu() as others:
            rows = suite.predict_latency(predict_rows=(1,))
        self.sources.update(suite.sources)
        summary = [
            [
                f"5. predict_proba, 1 row, {workload} {dtype} (ms)",
                skdnn,
                mlp,
                ratio,
                "<= 0.5",
                _met(ratio <= 0.5),
                others.percent,
            ]
            for workload, dtype, _, _, skdnn, mlp, ratio in rows
        ]
        return Section(
            "5. predict_proba latency, 1 row",
            "`Suite.predict_latency` of `benchmarks.suite` for 1 row: models "
            "fitted for `k_lo` iterations on the suite's cat and tall "
            "workloads, one training row, C-contiguous, in the training dtype; "
            "median of the given number of alternating calls.",
            [
                "workload",
                "dtype",
                "rows",
                "repeats",
                "skdnn (ms)",
                "MLPClassifier (ms)",
                "skdnn / MLPClassifier",
            ],
            rows,
            summary,
        )

    # -- 6. issue 14: DeepClassifier and DeepRegressor ---------------------------

    def issue_14(self):
        seeds = range(1) if self.quick else range(5)
        max_iter = 20 if self.quick else 200
        iterations = (1, 3) if self.quick else (5, 45)
        rows, summary = [], []
        quality = dict(seeds=seeds, max_iter=max_iter)

        # digits, 10 classes
        X, y = load_digits(return_X_y=True)
        X_tr, X_te, y_tr, y_te = _scaled_split(X, y, stratify=y)
        self.sources["digits"] = "sklearn.datasets.load_digits, 75/25 split, scaled"
        self.log("issue 14: digits")
        accuracy = _quality(
            lambda s, k: DeepClassifier(
                (64,), batch_size=200, max_iter=k, random_state=s
            ),
            lambda s, k: MLPClassifier(
                (64,), batch_size=200, max_iter=k, random_state=s
            ),
            (X_tr, y_tr, X_te, y_te),
            **quality,
        )
        y_bin = (y_tr >= 5).astype(int)
        per_epoch = self._per_epoch(
            {
                "DeepClassifier": (partial(_adam_skdnn, DeepClassifier, (64,)), y_tr),
                "MLPClassifier": (partial(_adam_mlp, MLPClassifier, (64,)), y_tr),
                "DeepBinaryClassifier, 0-4 vs 5-9": (
                    partial(_adam_skdnn, DeepBinaryClassifier, (64,)),
                    y_bin,
                ),
                "MLPClassifier, 0-4 vs 5-9": (
                    partial(_adam_mlp, MLPClassifier, (64,)),
                    y_bin,
                ),
            },
            X_tr,
            iterations,
        )
        multi = per_epoch["DeepClassifier"][0] / per_epoch["MLPClassifier"][0]
        binary = (
            per_epoch["DeepBinaryClassifier, 0-4 vs 5-9"][0]
            / per_epoch["MLPClassifier, 0-4 vs 5-9"][0]
        )
        gap = 100 * (accuracy["skdnn"] - accuracy["other"])
        rows += [
            [
                "digits",
                "test accuracy, 10 classes, mean over seeds",
                accuracy["skdnn"],
                accuracy["other"],
                f"{gap:+.2f} points",
                f"n_iter_ {accuracy['n_iter']}",
            ],
            *_epoch_rows(
                "digits",
                per_epoch,
                [
                    ("10 classes", "DeepClassifier", "MLPClassifier"),
                    (
                        "0-4 vs 5-9",
                        "DeepBinaryClassifier, 0-4 vs 5-9",
                        "MLPClassifier, 0-4 vs 5-9",
                    ),
                ],
            ),
        ]
        summary += [
            [
                f"6. digits test accuracy, {len(seeds)} seeds (skdnn - other: points)",
                accuracy["skdnn"],
                accuracy["other"],
                f"{gap:+.2f} points",
                "within 1 point",
                _met(abs(gap) <= 1),
                "n/a",
            ],
            [
                "6. digits adam, 10 classes (ms / epoch)",
                per_epoch["DeepClassifier"][0] * MS,
                per_epoch["MLPClassifier"][0] * MS,
                multi,
                f"<= {binary:.3g} (binary model on the same rows; "
                f"item 2 float64: {_fmt(self.adam_ratio)})",
                _met(multi <= binary),
                per_epoch["others"],
            ],
        ]

        # Friedman #1
        X, y = make_friedman1(n_samples=2_000, noise=1.0, random_state=0)
        X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.25, random_state=0)
        self.sources["friedman1"] = (
            "sklearn.datasets.make_friedman1(2000, noise=1.0, random_state=0), "
            "75/25 split, not scaled"
        )
        self.log("issue 14: Friedman #1")
        r2 = _quality(
            lambda s, k: DeepRegressor(max_iter=k, random_state=s),
            lambda s, k: MLPRegressor(max_iter=k, random_state=s),
            (X_tr, y_tr, X_te, y_te),
            **quality,
        )
        per_epoch = self._per_epoch(
            {
                "DeepRegressor": (partial(_adam_skdnn, DeepRegressor, (100,)), y_tr),
                "MLPRegressor": (partial(_adam_mlp, MLPRegressor, (100,)), y_tr),
            },
            X_tr,
            iterations,
        )
        r2_gap = r2["skdnn"] - r2["other"]
        ratio = per_epoch["DeepRegressor"][0] / per_epoch["MLPRegressor"][0]
        rows += [
            [
                "Friedman #1",
                "test R², mean over seeds",
                r2["skdnn"],
                r2["other"],
                f"{r2_gap:+.4f}",
                f"n_iter_ {r2['n_iter']}",
            ],
            *_epoch_rows(
                "Friedman #1",
                per_epoch,
                [("regression", "DeepRegressor", "MLPRegressor")],
            ),
        ]
        summary += [
            [
                f"6. Friedman #1 test R², {len(seeds)} seeds (skdnn - other)",
                r2["skdnn"],
                r2["other"],
                f"{r2_gap:+.4f}",
                "within 0.02",
                _met(abs(r2_gap) <= 0.02),
                "n/a",
            ],
            [
                "6. Friedman #1 adam (ms / epoch)",
                per_epoch["DeepRegressor"][0] * MS,
                per_epoch["MLPRegressor"][0] * MS,
                ratio,
                "none given",
                "n/a",
                per_epoch["others"],
            ],
        ]

        # the housing neuron
        housing = self._housing(seeds)
        rows += housing["rows"]
        summary += housing["summary"]
        return Section(
            "6. Issue 14: DeepClassifier and DeepRegressor",
            "Each pair with the same settings: scikit-learn's defaults "
            "(adam, learning rate 0.001, alpha 1e-4, batch 200, tol 1e-4, "
            f"n_iter_no_change 10), max_iter {max_iter}, seeds "
            f"{list(seeds)} for both (quality: the mean over the seeds of "
            "the test score; *n_iter_*: mean epochs run, skdnn / other). Time "
            "per epoch as in section 2 (`tol=None` / `tol=0`, "
            f"`max_iter` {iterations[0]} and {iterations[1]}, median of "
            f"{self.repeats} alternating repeats); the binary pair on the "
            "same digits rows (0-4 against 5-9) is the yardstick of the "
            "10-class pair. Digits: `load_digits`, stratified 75/25 split "
            "(random_state 0), `StandardScaler` fitted on the training rows, "
            "hidden (64,). Friedman #1: hidden (100,), features not scaled. "
            "Housing: 200 training and 200 test houses, `size` uniform in "
            "[0.5, 3] (1000 sq ft), `price = max(0, 150 size - 100) + N(0, "
            "10²)`, seed 0; the *other* column there is the test R² of the "
            "noise-free price function itself (the ceiling).",
            [
                "data",
                "measurement",
                "skdnn",
                "other",
                "skdnn - other, or ratio",
                "note",
            ],
            rows,
            summary,
        )

    def _per_epoch(self, makers, X, iterations):
        """``{name: (seconds per epoch, trained in)}`` of every ``(make, y)``
        of ``makers``, alternating, plus ``"others"``: others' CPU %."""
        runners = {
            name: _runner(make, workloads.Dataset(X, y, ""))
            for name, (make, y) in makers.items()
        }
        with timing.OthersCpu() as others:
            results = timing.per_iteration(runners, iterations, self.repeats)
        return {**results, "others": others.percent}

    def _housing(self, seeds):
        """``DeepRegressor((), out_activation="relu")`` as given (adam, its
        defaults) and with ``solver="lbfgs"`` (its docstring's example),
        every seed: test R², or the error the fit raised."""
        self.log("issue 14: housing neuron")
        rng = np.random.default_rng(0)
        size = rng.uniform(0.5, 3.0, (400, 1))
        clean = np.maximum(0, 150 * size.ravel() - 100)
        price = clean + rng.normal(0, 10, 400)
        train, test = slice(0, 200), slice(200, 400)
        ceiling = _r2(price[test], clean[test])
        self.sources["housing"] = (
            "price = max(0, 150 size - 100) + N(0, 10²), size ~ U(0.5, 3), seed 0"
        )
        rows, summary = [], []
        for label, extra in (
            ("defaults (adam)", {}),
            ("solver='lbfgs'", {"solver": "lbfgs"}),
        ):
            scores = []
            for seed in seeds:
                model = DeepRegressor(
                    (), out_activation="relu", random_state=seed, **extra
                )
                try:
                    fit_quietly(model, size[train], price[train])
                except Exception as error:  # a fit that fails is a result here
                    scores.append(f"{type(error).__name__}: {error}")
                    continue
                scores.append(model.score(size[test], price[test]))
            r2s = [s for s in scores if not isinstance(s, str)]
            failed = len(scores) - len(r2s)
            worst = min(r2s) if r2s else float("nan")
            for seed, score in zip(seeds, scores, strict=True):
                rows.append(
                    [
                        "housing neuron",
                        f"test R², DeepRegressor((), out_activation='relu', "
                        f"{label}), random_state={seed}",
                        score if not isinstance(score, str) else "error",
                        ceiling,
                        "" if not isinstance(score, str) else score.replace("|", "/"),
                        "",
                    ]
                )
            summary.append(
                [
                    f"6. housing neuron, {label}: worst test R² of {len(scores)} "
                    f"seeds ({failed} fits raised)",
                    worst,
                    ceiling,
                    "n/a",
                    ">= 0.98",
                    _met(failed == 0 and worst >= 0.98),
                    "n/a",
                ]
            )
        return {"rows": rows, "summary": summary}


# -- estimators and helpers ---------------------------------------------------------


def _adam_skdnn(cls, hidden, k):
    """An skdnn estimator with MLPClassifier's adam settings, every epoch run."""
    params = dict(solver="adam", learning_rate=0.001, batch_size=200, alpha=1e-4)
    return cls(
        hidden_layer_sizes=hidden,
        activation="relu",
        tol=None,
        max_iter=k,
        random_state=0,
        **params,
    )


def _adam_mlp(cls, hidden, k):
    """MLPClassifier or MLPRegressor with the same settings, every epoch run."""
    params = dict(solver="adam", learning_rate_init=0.001, batch_size=200, alpha=1e-4)
    return cls(
        hidden_layer_sizes=hidden,
        activation="relu",
        tol=0.0,
        n_iter_no_change=NEVER,
        max_iter=k,
        random_state=0,
        **params,
    )


def _record(into, key, runner, k):
    """``into[key] = runner(k)``: keeps what a timed runner returns."""
    into[key] = runner(k)


def _runner(make, data):
    """``run(k)``: fit ``make(k)`` on ``data``; the dtype it trained in."""

    def run(k):
        return fit_quietly(make(k), data.X, data.y).coefs_[0].dtype.name

    return run


def _epoch_rows(data, per_epoch, pairs):
    """Rows of the detail table for ``(label, skdnn name, other name)`` pairs
    of :meth:`Run._per_epoch` results."""
    rows = []
    for label, ours, theirs in pairs:
        (mine, trained), (other, other_trained) = per_epoch[ours], per_epoch[theirs]
        rows.append(
            [data, f"ms / epoch, {label} ({ours} / {theirs})", mine * MS, other * MS]
            + [mine / other, f"trained in {trained} / {other_trained}"]
        )
    return rows


def _scaled_split(X, y, stratify=None):
    X_tr, X_te, y_tr, y_te = train_test_split(
        X, y, test_size=0.25, stratify=stratify, random_state=0
    )
    scaler = StandardScaler().fit(X_tr)
    return scaler.transform(X_tr), scaler.transform(X_te), y_tr, y_te


def _quality(make_skdnn, make_other, split, seeds, max_iter):
    """Mean test score over ``seeds`` of both makers ``make(seed, max_iter)``,
    and the mean epochs they ran (``"n_iter"``, as text)."""
    X_tr, y_tr, X_te, y_te = split
    scores = {"skdnn": [], "other": []}
    n_iter = {"skdnn": [], "other": []}
    for seed in seeds:
        for name, make in (("skdnn", make_skdnn), ("other", make_other)):
            model = fit_quietly(make(seed, max_iter), X_tr, y_tr)
            scores[name].append(model.score(X_te, y_te))
            n_iter[name].append(model.n_iter_)
    means = {name: float(statistics.mean(s)) for name, s in scores.items()}
    epochs = " / ".join(f"{statistics.mean(n_iter[name]):.0f}" for name in n_iter)
    return {**means, "n_iter": epochs}


def _r2(y, prediction):
    return 1 - np.sum((y - prediction) ** 2) / np.sum((y - y.mean()) ** 2)


def _met(condition):
    return "yes" if condition else "no"


def _fmt(x):
    return "n/a" if x is None else report.number(x)


# -- the file ------------------------------------------------------------------------

MEASUREMENTS = (
    "cat_course",
    "adam_epoch",
    "tall_whole_fit",
    "lbfgs_reach",
    "predict_one_row",
    "issue_14",
)


def render(run, sections, command, loads, seconds, blas_threads):
    mode = "**quick** mode (small data, few iterations: not a speed measurement)"
    mode = mode if run.quick else "full mode"
    threads = (
        f"BLAS limited to {blas_threads} thread(s) with threadpoolctl"
        if blas_threads
        else "BLAS threads as the libraries start them"
    )
    parts = [
        "# skdnn benchmarks: solvers, whole fits and issue 14",
        f"Written by `{command}` in {seconds:.0f} s, {mode}, alternating repeats "
        f"(A B A B ...): {run.repeats}; every time is a median; {threads}. "
        "Ratios are skdnn / other: below 1, skdnn is faster. Times depend on "
        "the machine and its load (below): compare within a row.",
        "## Summary",
        report.table(SUMMARY_HEADERS, [row for s in sections for row in s.summary]),
    ]
    for section in sections:
        parts += [f"## {section.title}", section.text]
        parts.append(report.table(section.headers, section.rows))
    parts += ["## Data", "\n".join(f"- {k}: {v}" for k, v in run.sources.items())]
    machine = report.machine_info() + [
        f"1-minute load average: {loads[0]:.2f} at the start, {loads[1]:.2f} at "
        f"the end (on {len(_usable_cores())} usable cores)"
    ]
    parts += ["## Machine", "\n".join(f"- {line}" for line in machine)]
    return "\n\n".join(parts) + "\n"


def _usable_cores():
    return os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else [0]


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.solvers",
        description="Time skdnn's solvers, whole fits and issue-14 estimators "
        "against scikit-learn side by side; write a Markdown file.",
    )
    parser.add_argument(
        "--quick", action="store_true", help="small data, few iterations (seconds)"
    )
    parser.add_argument(
        "--repeats",
        type=int,
        default=None,
        help="alternating repeats per timing (default 5, or 1 with --quick)",
    )
    parser.add_argument(
        "--blas-threads",
        type=int,
        default=None,
        help="limit BLAS to this many threads (threadpoolctl) for the whole run",
    )
    parser.add_argument(
        "--only",
        choices=MEASUREMENTS,
        action="append",
        help="run only this measurement (repeatable)",
    )
    parser.add_argument("--figures", type=Path, default=FIGURES)
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    args = parser.parse_args(argv)
    repeats = args.repeats or (1 if args.quick else 5)
    if repeats < 1:
        parser.error("--repeats must be at least 1")
    if args.blas_threads is not None and args.blas_threads < 1:
        parser.error("--blas-threads must be at least 1")

    run = Run(args.quick, repeats, args.figures)
    load_before = report.load_average()
    limit = (
        threadpool_limits(args.blas_threads, user_api="blas")
        if args.blas_threads
        else nullcontext()
    )
    with limit:
        sections = [getattr(run, name)() for name in args.only or MEASUREMENTS]
        seconds = time.perf_counter() - run.started
        argv = sys.argv[1:] if argv is None else argv
        command = " ".join(["python -m benchmarks.solvers", shlex.join(argv)]).strip()
        loads = (load_before, report.load_average())
        text = render(run, sections, command, loads, seconds, args.blas_threads)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text)
    print(text)
    run.log(f"wrote {args.output}")


if __name__ == "__main__":
    main()
