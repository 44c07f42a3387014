"""Settings for tabular data, chosen by measurement (issue 15).

Run from the repository root::

    python -m benchmarks.tabular                # writes benchmarks/RESULTS-tabular.md
    python -m benchmarks.tabular --quick        # seconds: small data, checks it runs
    python -m benchmarks.tabular --data breast_cancer --contenders mlp,recommended

Every contender is the last step of the same pipeline (``StandardScaler``, and
``OneHotEncoder`` on the integer columns of the data sets that have some, in a
``ColumnTransformer``) and sees the same five stratified folds of each data
set, fold by fold, the contenders one after the other (A B C A B C ...). Per
data set and contender: the mean over the folds of the held-out accuracy and
ROC AUC, the CPU time of the fits, and the number of folds where the
contender predicted one class for every held-out row.

Times are the CPU time of this process (``time.process_time``) around each
``fit``, BLAS and OpenMP limited to one thread (``threadpoolctl``), so that
the other processes of a shared machine do not count. The data ship with
scikit-learn or are drawn by its ``make_*`` functions: nothing is downloaded.
``--quick`` shrinks every data set to a few hundred rows and uses three folds
(the numbers then say nothing).
"""

import argparse
import math
import shlex
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import numpy as np
from scipy.stats import rankdata
from sklearn.compose import ColumnTransformer
from sklearn.datasets import (
    load_breast_cancer,
    load_diabetes,
    load_digits,
    load_iris,
    load_wine,
    make_classification,
    make_friedman1,
    make_regression,
)
from sklearn.ensemble import (
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import accuracy_score, r2_score, roc_auc_score
from sklearn.model_selection import KFold, StratifiedKFold
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from threadpoolctl import threadpool_limits

from skdnn import DeepBinaryClassifier, DeepClassifier, DeepRegressor
from skdnn._recommended import tabular_params

from . import report, timing

DEFAULT_OUTPUT = Path(__file__).parent / "RESULTS-tabular.md"
SEED = 0
QUICK_ROWS = 240


# -- data ----------------------------------------------------------------------


@dataclass(frozen=True)
class Table:
    """One data set: ``X``, ``y`` and the columns of ``X`` that hold integer
    categories (one-hot encoded in the pipeline)."""

    key: str
    description: str
    X: np.ndarray
    y: np.ndarray
    categorical: tuple = ()

    @property
    def shape(self):
        return self.X.shape


def _with_categories(X, n_categorical, rng, levels=(3, 5, 8)):
    """``X`` with its first ``n_categorical`` columns cut into integer
    categories (equal-count bins, the bins in a random order: no order for
    a scaler to exploit), plus one column of random categories unrelated to
    ``y``."""
    X = X.copy()
    for j in range(n_categorical):
        k = levels[j % len(levels)]
        edges = np.quantile(X[:, j], np.linspace(0, 1, k + 1)[1:-1])
        X[:, j] = rng.permutation(k)[np.searchsorted(edges, X[:, j])]
    noise = rng.integers(0, 4, size=(X.shape[0], 1)).astype(X.dtype)
    return np.hstack([X, noise]), tuple(range(n_categorical)) + (X.shape[1],)


def _synthetic(key, description, n, quick, categorical=0, **params):
    """``make_classification``'s data; with ``categorical``, its first
    (informative) columns cut into categories, the rows then shuffled."""
    n = min(n, QUICK_ROWS) if quick else n
    X, y = make_classification(
        n_samples=n, shuffle=not categorical, random_state=SEED, **params
    )
    columns = ()
    if categorical:
        rng = np.random.default_rng(SEED)
        X, columns = _with_categories(X, categorical, rng)
        rows = rng.permutation(n)
        X, y = X[rows], y[rows]
    return Table(key, description, X, y, columns)


def _subsample(table, quick):
    """At most :data:`QUICK_ROWS` rows of ``table`` with ``--quick``, drawn
    at random."""
    if not quick or len(table.y) <= QUICK_ROWS:
        return table
    rng = np.random.default_rng(SEED)
    keep = np.sort(rng.permutation(len(table.y))[:QUICK_ROWS])
    return Table(
        table.key, table.description, table.X[keep], table.y[keep], table.categorical
    )


def binary_tables(quick):
    """The binary data sets, small to large: ``{key: loader()}``."""
    X, y = load_breast_cancer(return_X_y=True)
    digits = load_digits()
    wine = load_wine()
    informative = {"n_informative": 6, "n_redundant": 4, "n_repeated": 0}
    loaders = {
        "wine_0": lambda: Table(
            "wine_0",
            "load_wine, class 0 against the others (33 % positive)",
            wine.data,
            (wine.target == 0).astype(int),
        ),
        "breast_cancer": lambda: Table(
            "breast_cancer", "load_breast_cancer (63 % positive)", X, y
        ),
        "digits_3v8": lambda: Table(
            "digits_3v8",
            "load_digits, 3 against 8 (pixels, 64 columns)",
            digits.data[np.isin(digits.target, [3, 8])],
            (digits.target[np.isin(digits.target, [3, 8])] == 8).astype(int),
        ),
        "digits_odd": lambda: Table(
            "digits_odd",
            "load_digits, odd against even digits",
            digits.data,
            digits.target % 2,
        ),
        "synth_300": lambda: _synthetic(
            "synth_300",
            "make_classification 300 x 20: 6 informative, 4 redundant, flip_y 0.05",
            300,
            quick,
            n_features=20,
            flip_y=0.05,
            **informative,
        ),
        "imbalanced_90": lambda: _synthetic(
            "imbalanced_90",
            "make_classification 2 000 x 20, 90/10, 10 uninformative columns",
            2_000,
            quick,
            n_features=20,
            weights=[0.9],
            flip_y=0.01,
            **informative,
        ),
        "imbalanced_97": lambda: _synthetic(
            "imbalanced_97",
            "make_classification 5 000 x 30, 97/3, 20 uninformative columns",
            5_000,
            quick,
            n_features=30,
            weights=[0.97],
            flip_y=0.0,
            class_sep=0.8,
            **informative,
        ),
        "noisy_labels": lambda: _synthetic(
            "noisy_labels",
            "make_classification 3 000 x 20, flip_y 0.3 (about 15 % of labels wrong)",
            3_000,
            quick,
            n_features=20,
            flip_y=0.3,
            **informative,
        ),
        "categorical": lambda: _synthetic(
            "categorical",
            "make_classification 5 000 x 16: 4 informative columns cut into "
            "3-8 integer categories, one random category column (one-hot)",
            5_000,
            quick,
            categorical=4,
            n_features=15,
            flip_y=0.02,
            **informative,
        ),
        "large_50k": lambda: _synthetic(
            "large_50k",
            "make_classification 50 000 x 41, 80/20: 3 columns cut into "
            "categories, one random category column, flip_y 0.05",
            50_000,
            quick,
            categorical=3,
            n_features=40,
            n_informative=12,
            n_redundant=8,
            weights=[0.8],
            flip_y=0.05,
        ),
    }
    return {
        key: (lambda load=load: _subsample(load(), quick))
        for key, load in loaders.items()
    }


# (multiclass and regression data)----------------------------------------------


def multiclass_tables(quick):
    """Data sets of three classes or more (DeepClassifier's softmax head)."""
    digits, wine, iris = load_digits(), load_wine(), load_iris()
    loaders = {
        "iris": lambda: Table("iris", "load_iris, 3 classes", iris.data, iris.target),
        "wine": lambda: Table("wine", "load_wine, 3 classes", wine.data, wine.target),
        "digits": lambda: Table(
            "digits", "load_digits, 10 classes", digits.data, digits.target
        ),
    }
    return {
        key: (lambda load=load: _subsample(load(), quick))
        for key, load in loaders.items()
    }


def regression_tables(quick):
    """Regression data sets (``y`` as it comes: no target scaling, as ``skdnn
    train --data`` does)."""
    n = QUICK_ROWS if quick else None
    loaders = {
        "diabetes": lambda: Table(
            "diabetes", "load_diabetes (442 x 10)", *load_diabetes(return_X_y=True)
        ),
        "friedman1": lambda: Table(
            "friedman1",
            "make_friedman1 2 000 x 10, noise 1",
            *make_friedman1(n or 2_000, noise=1.0, random_state=SEED),
        ),
        "linear_5k": lambda: Table(
            "linear_5k",
            "make_regression 5 000 x 20, 10 informative, noise 10",
            *make_regression(
                n or 5_000, 20, n_informative=10, noise=10.0, random_state=SEED
            ),
        ),
    }
    return {
        key: (lambda load=load: _subsample(load(), quick))
        for key, load in loaders.items()
    }


# -- contenders ----------------------------------------------------------------


@dataclass(frozen=True)
class Contender:
    """``make(n_samples, n_features)``: a fresh estimator for a training set
    of that shape (after encoding)."""

    key: str
    label: str
    make: Callable
    multiclass: bool = True


def _fixed(estimator_class, **params):
    return lambda n_samples, n_features: estimator_class(**params)


def _deep(**params):
    return _fixed(DeepClassifier, random_state=SEED, **params)


CLASSIFIERS = [
    Contender("mlp", "MLPClassifier()", _fixed(MLPClassifier, random_state=SEED)),
    Contender("logistic", "LogisticRegression()", _fixed(LogisticRegression)),
    Contender(
        "hgb",
        "HistGradientBoostingClassifier()",
        _fixed(HistGradientBoostingClassifier, random_state=SEED),
    ),
    Contender(
        "course",
        "DeepBinaryClassifier() (course defaults)",
        _fixed(DeepBinaryClassifier, random_state=SEED),
        multiclass=False,
    ),
    Contender("deep", "DeepClassifier()", _deep()),
    Contender(
        "deep_es", "DeepClassifier(early_stopping=True)", _deep(early_stopping=True)
    ),
]


def _recommended(estimator_class):
    def make(n_samples, n_features):
        return estimator_class(
            **tabular_params(n_samples, n_features), random_state=SEED
        )

    return make


RECOMMENDED = Contender(
    "recommended",
    "DeepClassifier(**tabular_params(n, p))",
    _recommended(DeepClassifier),
)
RECOMMENDED_BINARY = Contender(
    "recommended_binary",
    "DeepBinaryClassifier(**tabular_params(n, p))",
    _recommended(DeepBinaryClassifier),
    multiclass=False,
)

#: The other settings tried for the recommendation; they run in the full mode
#: too, so that the choice can be read off the same tables.
CANDIDATES = [
    Contender(
        "es_lr3",
        "DeepClassifier(early_stopping=True, learning_rate=0.003)",
        _deep(early_stopping=True, learning_rate=0.003),
    ),
    Contender(
        "es_alpha",
        "DeepClassifier(early_stopping=True, alpha=0.1)",
        _deep(early_stopping=True, alpha=0.1),
    ),
    Contender(
        "es_alpha1_lr3",
        "DeepClassifier(early_stopping=True, alpha=1.0, learning_rate=0.003)",
        _deep(early_stopping=True, alpha=1.0, learning_rate=0.003),
    ),
    Contender(
        "binary_es",
        'DeepBinaryClassifier(solver="adam", learning_rate=0.001, '
        'batch_size="auto", max_iter=200, tol=1e-4, alpha=1e-4, '
        "early_stopping=True), hidden (20, 7, 5)",
        _fixed(
            DeepBinaryClassifier,
            solver="adam",
            learning_rate=0.001,
            batch_size="auto",
            max_iter=200,
            tol=1e-4,
            alpha=1e-4,
            early_stopping=True,
            random_state=SEED,
        ),
        multiclass=False,
    ),
    Contender("lbfgs", 'DeepClassifier(solver="lbfgs")', _deep(solver="lbfgs")),
    Contender(
        "lbfgs_alpha5",
        'DeepClassifier(solver="lbfgs", alpha=5.0, max_iter=100)',
        _deep(solver="lbfgs", alpha=5.0, max_iter=100),
    ),
    Contender(
        "lbfgs_alpha20",
        'DeepClassifier(solver="lbfgs", alpha=20.0, max_iter=100)',
        _deep(solver="lbfgs", alpha=20.0, max_iter=100),
    ),
    Contender(
        "lbfgs_alpha10_200",
        'DeepClassifier(solver="lbfgs", alpha=10.0, max_iter=200)',
        _deep(solver="lbfgs", alpha=10.0, max_iter=200),
    ),
    Contender(
        "lbfgs_course_layers",
        'DeepBinaryClassifier(solver="lbfgs", alpha=10.0, max_iter=100, '
        "tol=1e-4), hidden (20, 7, 5)",
        _fixed(
            DeepBinaryClassifier,
            solver="lbfgs",
            alpha=10.0,
            max_iter=100,
            tol=1e-4,
            random_state=SEED,
        ),
        multiclass=False,
    ),
]


def _regressor(**params):
    return _fixed(DeepRegressor, random_state=SEED, **params)


REGRESSORS = [
    Contender("mlp", "MLPRegressor()", _fixed(MLPRegressor, random_state=SEED)),
    Contender("ridge", "Ridge()", _fixed(Ridge)),
    Contender(
        "hgb",
        "HistGradientBoostingRegressor()",
        _fixed(HistGradientBoostingRegressor, random_state=SEED),
    ),
    Contender("deep", "DeepRegressor()", _regressor()),
    Contender(
        "deep_es", "DeepRegressor(early_stopping=True)", _regressor(early_stopping=True)
    ),
    Contender("lbfgs", 'DeepRegressor(solver="lbfgs")', _regressor(solver="lbfgs")),
    Contender(
        "recommended",
        "DeepRegressor(**tabular_params(n, p))",
        _recommended(DeepRegressor),
    ),
]


# -- cross-validation ----------------------------------------------------------


@dataclass
class Scores:
    """One contender on one data set, a list entry per fold."""

    accuracy: list = field(default_factory=list)
    auc: list = field(default_factory=list)  # R² for the regressors
    seconds: list = field(default_factory=list)
    epochs: list = field(default_factory=list)
    constant: int = 0  # folds where every held-out prediction was one class

    def mean(self, name):
        values = getattr(self, name)
        return statistics.fmean(values) if values else math.nan


def preprocessor(table):
    """``StandardScaler`` on the numeric columns, ``OneHotEncoder`` on the
    integer categories (if any), as one transformer."""
    if not table.categorical:
        return StandardScaler()
    numeric = [j for j in range(table.shape[1]) if j not in table.categorical]
    onehot = OneHotEncoder(handle_unknown="ignore", sparse_output=False)
    return ColumnTransformer(
        [("scale", StandardScaler(), numeric), ("onehot", onehot, table.categorical)]
    )


def _evaluate_classifier(pipe, X, y):
    proba = pipe.predict_proba(X)
    prediction = pipe.predict(X)
    if proba.shape[1] == 2:
        auc = roc_auc_score(y, proba[:, 1])
    else:
        auc = roc_auc_score(y, proba, multi_class="ovr", labels=pipe.classes_)
    constant = len(np.unique(prediction)) == 1
    return accuracy_score(y, prediction), auc, constant


def _evaluate_regressor(pipe, X, y):
    prediction = pipe.predict(X)
    return math.nan, r2_score(y, prediction), bool(np.ptp(prediction) == 0)


def cross_validate(table, contenders, folds, regression=False):
    """``{contender key: Scores}`` over the same ``folds`` folds; in each
    fold every contender is fitted in turn on the same rows."""
    splitter = (KFold if regression else StratifiedKFold)(
        folds, shuffle=True, random_state=SEED
    )
    evaluate = _evaluate_regressor if regression else _evaluate_classifier
    width = preprocessor(table).fit_transform(table.X).shape[1]
    scores = {c.key: Scores() for c in contenders}
    for train, test in splitter.split(table.X, table.y):
        X, y = table.X[train], table.y[train]  # sliced once, outside the timings
        X_test, y_test = table.X[test], table.y[test]
        for c in contenders:
            pipe = make_pipeline(preprocessor(table), c.make(len(train), width))
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                seconds = timing.cpu_seconds(partial(pipe.fit, X, y))
            accuracy, auc, constant = evaluate(pipe, X_test, y_test)
            s = scores[c.key]
            s.accuracy.append(accuracy)
            s.auc.append(auc)
            s.seconds.append(seconds)
            n_iter = getattr(pipe[-1], "n_iter_", None)
            s.epochs.append(math.nan if n_iter is None else float(np.max(n_iter)))
            s.constant += constant
    return scores


# -- sections and their tables -------------------------------------------------

TIME_ALL = "time / MLP (all fits)"
TIME_GEOMETRIC = "time / MLP (geometric mean over the data sets)"
#: Columns that regression tables leave out.
CLASSIFICATION_ONLY = {"accuracy", "mean accuracy", "single-class folds"}


def _four(x):
    return f"{x:.4f}"


def _signed(x):
    return f"{x:+.4f}"


@dataclass
class Section:
    """One family of data sets, cross-validated with the same contenders;
    ``results[table key][contender key]`` are their :class:`Scores`."""

    key: str
    title: str
    metric: str  # "AUC" or "R²"
    contenders: list
    tables: list = field(default_factory=list)
    results: dict = field(default_factory=dict)
    others_cpu: dict = field(default_factory=dict)  # table key -> percent

    @property
    def regression(self):
        return self.metric == "R²"

    def run(self, loaders, folds, log):
        """Cross-validate every contender on every data set of ``loaders``
        (after one untimed warm-up fit of each)."""
        self._warm_up()
        for key, load in loaders.items():
            table = load()
            log(f"{self.key}: {key}, {table.shape[0]} x {table.shape[1]}")
            self.tables.append(table)
            with timing.OthersCpu() as others:
                self.results[key] = cross_validate(
                    table, self.contenders, folds, self.regression
                )
            self.others_cpu[key] = others.percent

    def _warm_up(self):
        """One small fit of each contender, untimed: lazy imports and first
        calls do not land on the first data set."""
        if self.regression:
            X, y = make_regression(100, 5, random_state=SEED)
        else:
            n_classes = 2 if self.key == "binary" else 3
            X, y = make_classification(
                100, 5, n_informative=3, n_classes=n_classes, random_state=SEED
            )
        for c in self.contenders:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                make_pipeline(StandardScaler(), c.make(*X.shape)).fit(X, y)

    def _columns(self, row):
        return {
            h: v
            for h, v in row.items()
            if not (self.regression and h in CLASSIFICATION_ONLY)
        }

    def summary(self):
        """``(headers, rows)``: one row per contender over all data sets."""
        keys = [t.key for t in self.tables]
        score = {
            c.key: [self.results[k][c.key].mean("auc") for k in keys]
            for c in self.contenders
        }
        seconds = {
            c.key: [sum(self.results[k][c.key].seconds) for k in keys]
            for c in self.contenders
        }
        # Rank 1 is the best score of a data set; ties share their mean rank.
        ranks = np.array(
            [
                rankdata([-score[c.key][i] for c in self.contenders])
                for i in range(len(keys))
            ]
        )
        rows = []
        for j, c in enumerate(self.contenders):
            results = [self.results[k][c.key] for k in keys]
            ratios = [
                s / m for s, m in zip(seconds[c.key], seconds["mlp"], strict=True)
            ]
            m = self.metric
            row = {
                "contender": c.label,
                f"mean {m}": _four(statistics.fmean(score[c.key])),
                "mean accuracy": _four(
                    statistics.fmean(r.mean("accuracy") for r in results)
                ),
                f"mean rank ({m})": statistics.fmean(ranks[:, j]),
                f"worst {m} - MLP": _signed(
                    min(a - b for a, b in zip(score[c.key], score["mlp"], strict=True))
                ),
                "single-class folds": sum(r.constant for r in results),
                "CPU s, all fits": sum(seconds[c.key]),
                TIME_ALL: sum(seconds[c.key]) / sum(seconds["mlp"]),
                TIME_GEOMETRIC: (statistics.geometric_mean(ratios)),
            }
            rows.append(self._columns(row))
        return list(rows[0]), [list(row.values()) for row in rows]

    def table(self, table):
        """``(headers, rows)`` of one data set: one row per contender."""
        results = self.results[table.key]
        mlp_seconds = sum(results["mlp"].seconds)
        rows = []
        for c in self.contenders:
            s = results[c.key]
            row = {
                "contender": c.label,
                "accuracy": _four(s.mean("accuracy")),
                self.metric: _four(s.mean("auc")),
                f"{self.metric} std over folds": _four(statistics.stdev(s.auc))
                if len(s.auc) > 1
                else "n/a",
                "CPU s": sum(s.seconds),
                "time / MLP": sum(s.seconds) / mlp_seconds,
                "single-class folds": s.constant,
                "epochs (mean n_iter_)": (
                    "n/a" if math.isnan(s.mean("epochs")) else s.mean("epochs")
                ),
            }
            rows.append(self._columns(row))
        return list(rows[0]), [list(row.values()) for row in rows]

    def table_description(self, table):
        encoded = preprocessor(table).fit_transform(table.X).shape[1]
        if self.regression:
            target = f"y mean {table.y.mean():.3g}, std {table.y.std():.3g}"
        else:
            counts = np.bincount(table.y)
            target = (
                f"{len(counts)} classes, smallest {counts.min() / len(table.y):.0%}"
            )
        return [
            self.key,
            table.key,
            table.shape[0],
            table.shape[1],
            encoded,
            target,
            table.description,
        ]


def sections(quick, contender_keys=None):
    """``[(section, data loaders)]`` of the run, the contenders filtered by
    ``contender_keys`` (MLP always stays: the times are ratios to it)."""

    def pick(contenders):
        if contender_keys is None:
            return contenders
        return [c for c in contenders if c.key in contender_keys or c.key == "mlp"]

    binary = CLASSIFIERS + [RECOMMENDED, RECOMMENDED_BINARY] + CANDIDATES
    multiclass = [c for c in CLASSIFIERS + [RECOMMENDED] if c.multiclass]
    return [
        (Section("binary", "binary", "AUC", pick(binary)), binary_tables(quick)),
        (
            Section("multiclass", "multiclass", "AUC", pick(multiclass)),
            multiclass_tables(quick),
        ),
        (
            Section("regression", "regression", "R²", pick(REGRESSORS)),
            regression_tables(quick),
        ),
    ]


# -- the report ----------------------------------------------------------------


def _recommendation(section):
    """Lines: how each recommended contender did against MLP in ``section``."""
    m = section.metric
    headers, rows = section.summary()
    by_key = {
        c.key: dict(zip(headers, row, strict=True))
        for c, row in zip(section.contenders, rows, strict=True)
    }
    lines = []
    for c in section.contenders:
        if not c.key.startswith("recommended") or "mlp" not in by_key:
            continue
        row, mlp = by_key[c.key], by_key["mlp"]
        single = row.get("single-class folds")
        lines.append(
            f"{section.title}, `{c.label}`: mean {m} {row[f'mean {m}']} against "
            f"MLP's {mlp[f'mean {m}']}, worst data set {row[f'worst {m} - MLP']}"
            + ("" if single is None else f", {single} single-class folds")
            + f"; CPU time {report.number(row[TIME_ALL])}x MLP's (geometric mean "
            f"over the data sets {report.number(row[TIME_GEOMETRIC])}x)"
        )
    return lines


def render(run_sections, command, seconds, folds, quick, loads):
    mode = (
        "**quick** mode (a few hundred rows a data set: the numbers say nothing)"
        if quick
        else "full mode"
    )
    parts = [
        "# skdnn benchmarks: settings for tabular data (issue 15)",
        f"Written by `{command}` in {seconds:.0f} s, {mode}. {folds} folds "
        "(`StratifiedKFold`, `KFold` for regression, shuffled, random_state 0), "
        "the same for every contender; in each fold the contenders are fitted "
        "one after the other on the same rows. Each contender is the last step "
        "of the same pipeline: `StandardScaler`, and `OneHotEncoder` on the "
        "integer columns of the data sets that have some (a "
        "`ColumnTransformer`). *CPU s* is the CPU time of this process "
        "(`time.process_time`) around the fits, with BLAS and OpenMP limited "
        "to one thread (`threadpoolctl.threadpool_limits(1)`); ratios are "
        "contender / MLP (MLPClassifier or MLPRegressor, defaults, "
        "random_state 0) in the same run: below 1, faster than MLP. AUC is "
        "ROC AUC of `predict_proba` (one-vs-rest, macro, for multiclass); "
        "*single-class folds* counts the folds where `predict` gave every "
        "held-out row the same class. Means are over the folds in a data "
        "set's table and over the data sets in a summary; a rank is 1 for "
        "the best mean score of a data set.",
        "## The recommendation",
        "`skdnn._recommended.tabular_params(n_samples, n_features)` returns `"
        + ", ".join(f"{k}={v!r}" for k, v in tabular_params(1, 1).items())
        + "` whatever the shape (its docstring gives the reasons).",
        "\n".join(
            f"- {line}" for section in run_sections for line in _recommendation(section)
        ),
    ]
    for section in run_sections:
        parts += [
            f"## Summary: {section.title} ({len(section.tables)} data sets)",
            report.table(*section.summary()),
        ]
    parts += [
        "## Data sets",
        report.table(
            [
                "section",
                "data set",
                "rows",
                "columns",
                "columns after encoding",
                "target",
                "description",
            ],
            [s.table_description(t) for s in run_sections for t in s.tables],
        ),
    ]
    for section in run_sections:
        for table in section.tables:
            parts += [
                f"## {section.title}: {table.key}",
                f"{table.description}; {table.shape[0]} rows. Other processes' "
                f"share of the machine's CPU meanwhile: "
                f"{section.others_cpu[table.key]:.0f} %.",
                report.table(*section.table(table)),
            ]
    machine = report.machine_info() + [
        f"1-minute load average: {loads[0]:.2f} at the start, {loads[1]:.2f} at "
        "the end (the times are this process's CPU time: other processes "
        "slow them only through shared caches and memory bandwidth)"
    ]
    parts += ["## Machine", "\n".join(f"- {line}" for line in machine)]
    return "\n\n".join(parts) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.tabular",
        description="Cross-validate skdnn's settings against scikit-learn on "
        "tabular data; write a Markdown file.",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"at most {QUICK_ROWS} rows a data set and 3 folds (seconds)",
    )
    parser.add_argument("--folds", type=int, default=None, help="default 5 (3 quick)")
    parser.add_argument(
        "--data",
        action="append",
        metavar="KEY",
        help="run only this data set (repeatable); keys in the Data sets table",
    )
    parser.add_argument(
        "--contenders",
        type=lambda text: set(text.split(",")),
        default=None,
        metavar="KEY,KEY,...",
        help="run only these contenders (and MLP, the reference), e.g. "
        "recommended,course",
    )
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    args = parser.parse_args(argv)
    folds = args.folds or (3 if args.quick else 5)
    if folds < 2:
        parser.error("--folds must be at least 2")
    planned = sections(args.quick, args.contenders)
    known = {key for _, loaders in planned for key in loaders}
    unknown = set(args.data or ()) - known
    if unknown:
        parser.error(f"unknown data set(s) {sorted(unknown)}; known: {sorted(known)}")

    started = time.perf_counter()

    def log(message):
        elapsed = time.perf_counter() - started
        print(f"[{elapsed:6.1f} s] {message}", file=sys.stderr, flush=True)

    load_before = report.load_average()
    run_sections = []
    with threadpool_limits(1):
        for section, loaders in planned:
            if args.data:
                loaders = {k: v for k, v in loaders.items() if k in args.data}
            if loaders:
                section.run(loaders, folds, log)
                run_sections.append(section)
        argv = sys.argv[1:] if argv is None else argv
        command = " ".join(["python -m benchmarks.tabular", shlex.join(argv)]).strip()
        loads = (load_before, report.load_average())
        seconds = time.perf_counter() - started
        text = render(run_sections, command, seconds, folds, args.quick, loads)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text)
    print(text)
    log(f"wrote {args.output}")


if __name__ == "__main__":
    main()
