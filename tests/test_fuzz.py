"""Property-based tests (hypothesis) of what ``fit``, ``partial_fit`` and
``predict_proba`` accept, for both estimators (SPEC.md, "Behaviour on bad
input").

The property: a call either succeeds, and ``predict_proba`` on finite input is
then finite with rows summing to 1; or it raises ``ValueError``/``TypeError``
and leaves the estimator's ``__dict__`` as it was. Inputs known to be bad
(NaN/inf in X, mixed labels, a bool for an integer parameter, ...) must raise.

Every example draws ordinary values for all its inputs but at most two, which
get odd ones (zero, tiny, huge or negative weights, wild class weights, bools
for integers, huge decays, ...), so that both outcomes are common; run with
``--hypothesis-show-statistics`` to see how often each happens. The data are
small (at most 40 rows, 6 features, 20 iterations) so that the file runs in
seconds.

The generators keep ``learning_rate <= 1`` and ``|X| <= 1e3``: divergence (a
finite but exploding cost) and huge-magnitude X (rows of +-1e308 giving NaN
probabilities) are left to the training loop and prediction, tested
elsewhere.
"""

import copy
import warnings

import numpy as np
import pytest

pytest.importorskip("hypothesis")
from hypothesis import event, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from skdnn import DeepBinaryClassifier, LogisticRegressionGD  # noqa: E402

FUZZ = settings(max_examples=40, deadline=None)
ESTIMATORS = [DeepBinaryClassifier, LogisticRegressionGD]

# -- generators ---------------------------------------------------------------------

#: Label pairs that are fine, and labels that must be refused by fit.
LABELS = {
    "0/1": [0, 1],
    "-1/1": [-1, 1],
    "floats": [0.0, 2.0],
    "bools": [False, True],
    "strings": ["cat", "dog"],
}
BAD_LABELS = {
    "one class": [7],
    "three classes": [0, 1, 2],
    "continuous": [0.5, 2.0],
    "mixed": ["a", 1],
    "with None": [None, 1],
}
ODD_WEIGHTS = [0.0, 1e-300, 1e-10, 1.0, 1e10, 1e300, 1e308, -1.0]
ODD_CLASS_WEIGHT_KEYS = [0, 1, -1, 0.5, 2.0, "cat", "dog", 5]
ODD_CLASS_WEIGHTS = [0, 0.0, 1, 2.5, 1e-300, 1e308, -1.0, np.nan, np.inf, "x", True]

#: What can be odd in an example: the data, and the parameters.
ODDITIES = [
    "n_rows",
    "X",
    "y",
    "sample_weight",
    "class_weight",
    "learning_rate",
    "learning_rate_decay",
    "max_iter",
    "batch_size",
    "alpha",
    "early_stopping",
    "n_iter_no_change",
    "hidden_layer_sizes",
]


def either(odd, name, ordinary, unusual):
    """``unusual`` if ``name`` is among the example's oddities."""
    return unusual if name in odd else ordinary


@st.composite
def features(draw, n_rows, n_features, odd=()):
    """X with ``|X| <= 1e3``, float64, float32 or int; an odd X has a NaN or
    an inf in one entry."""
    rng = np.random.RandomState(draw(st.integers(0, 2**16)))
    scale = draw(st.sampled_from([1e-3, 1.0, 1e3]))
    X = np.clip(rng.standard_normal((n_rows, n_features)) * scale, -1e3, 1e3)
    dtype = draw(st.sampled_from([np.float64, np.float64, np.float32, np.int64]))
    if "X" not in odd:
        return X.round().astype(dtype) if dtype is np.int64 else X.astype(dtype)
    X[draw(st.integers(0, n_rows - 1)), draw(st.integers(0, n_features - 1))] = draw(
        st.sampled_from([np.nan, np.inf, -np.inf])
    )
    return X.astype(np.float32 if dtype is np.float32 else np.float64)


@st.composite
def targets(draw, n_rows, odd=()):
    """``(y, kind)``, with every label of the kind present if there are rows
    enough; odd kinds are :data:`BAD_LABELS`."""
    kind = draw(st.sampled_from(list(either(odd, "y", LABELS, BAD_LABELS))))
    labels = {**LABELS, **BAD_LABELS}[kind]
    rng = np.random.RandomState(draw(st.integers(0, 2**16)))
    index = rng.randint(len(labels), size=n_rows)
    index[: len(labels)] = np.arange(len(labels))[:n_rows]
    dtype = object if kind in ("mixed", "with None") else None
    return np.array(labels, dtype=dtype)[index], kind


@st.composite
def sample_weights(draw, n_rows, odd=()):
    """``None`` or moderate positive weights; odd ones from
    :data:`ODD_WEIGHTS` (zeros, tiny, huge, negative)."""
    if "sample_weight" not in odd and draw(st.booleans()):
        return None
    values = either(odd, "sample_weight", [0.5, 1.0, 2.0, 3.5], ODD_WEIGHTS)
    return np.array(
        draw(st.lists(st.sampled_from(values), min_size=n_rows, max_size=n_rows))
    )


@st.composite
def class_weights(draw, labels, odd=()):
    """``None``, ``"balanced"`` or a dict of ``labels`` to moderate weights;
    an odd dict has any keys and values (:data:`ODD_CLASS_WEIGHTS`)."""
    if "class_weight" in odd:
        keys = st.sampled_from([*ODD_CLASS_WEIGHT_KEYS, *labels])
        return draw(st.dictionaries(keys, st.sampled_from(ODD_CLASS_WEIGHTS)))
    weights = st.dictionaries(st.sampled_from(labels), st.sampled_from([0.5, 1, 3]))
    return draw(st.one_of(st.none(), st.just("balanced"), weights))


@st.composite
def parameters(draw, estimator, labels, odd=()):
    """Constructor parameters, ordinary except for the oddities ``odd``.
    ``learning_rate`` stays <= 1 (see the module's docstring)."""

    def pick(name, ordinary, unusual):
        return draw(either(odd, name, ordinary, unusual), label=name)

    params = {
        "learning_rate": pick(
            "learning_rate", st.floats(1e-3, 1.0), st.sampled_from([1e-320, 1e-300])
        ),
        "learning_rate_decay": pick(
            "learning_rate_decay",
            st.sampled_from([0.0, 0.1, 10.0]),
            st.sampled_from([1e10, 1e300, 1e307, 1e308]),
        ),
        "max_iter": pick("max_iter", st.integers(1, 20), st.just(True)),
        "batch_size": pick(
            "batch_size",
            st.one_of(st.none(), st.integers(1, 50)),
            st.sampled_from([True, False]),
        ),
        "solver": draw(st.sampled_from(["gd", "momentum", "adam"])),
        "alpha": pick(
            "alpha", st.sampled_from([0.0, 1e-3, 1.0]), st.sampled_from([1e3, 1e308])
        ),
        "class_weight": draw(class_weights(labels, odd), label="class_weight"),
        "early_stopping": pick("early_stopping", st.booleans(), st.just(True)),
        "validation_fraction": pick(
            "early_stopping", st.floats(0.1, 0.5), st.floats(0.01, 0.99)
        ),
        "tol": draw(st.sampled_from([None, 1e-4])),
        "n_iter_no_change": pick("n_iter_no_change", st.integers(1, 5), st.just(True)),
        "random_state": draw(st.integers(0, 3)),
    }
    if estimator is DeepBinaryClassifier:
        params["hidden_layer_sizes"] = pick(
            "hidden_layer_sizes",
            st.one_of(st.integers(1, 8), st.lists(st.integers(1, 8), max_size=2)),
            st.sampled_from([True, (0,), (-1,), (True,), (10**9,)]),
        )
        params["activation"] = draw(st.sampled_from(["relu", "tanh", "sigmoid"]))
    return params


@st.composite
def examples(draw, estimator):
    """``(params, X, y, y_kind, sample_weight)`` with at most two oddities."""
    odd = draw(st.sets(st.sampled_from(ODDITIES), max_size=2), label="oddities")
    n_rows = draw(either(odd, "n_rows", st.integers(10, 40), st.integers(1, 9)))
    X = draw(features(n_rows, draw(st.integers(1, 6)), odd), label="X")
    y, y_kind = draw(targets(n_rows, odd), label="y")
    sample_weight = draw(sample_weights(n_rows, odd), label="sample_weight")
    labels = {**LABELS, **BAD_LABELS}[y_kind]
    params = draw(parameters(estimator, labels, odd), label="params")
    return params, X, y, y_kind, sample_weight


def known_bad(params, X, y_kind, sample_weight):
    """Why fit must refuse these inputs, or ``None`` if they may be fine."""
    integers = ("max_iter", "batch_size", "n_iter_no_change", "hidden_layer_sizes")
    if any(isinstance(params.get(name), bool) for name in integers):
        return "a bool for an integer parameter"
    if X.dtype.kind == "f" and not np.isfinite(X).all():
        return "NaN or inf in X"
    if y_kind in BAD_LABELS:
        return f"labels: {y_kind}"
    if sample_weight is not None and (sample_weight < 0).any():
        return "a negative sample weight"
    if params.get("hidden_layer_sizes") == (10**9,):
        return "a layer too wide for the memory"
    if params["learning_rate"] < np.finfo(np.float64).tiny:
        return "a subnormal learning rate"
    class_weight = params["class_weight"]
    if isinstance(class_weight, dict) and any(
        isinstance(v, (str, bool)) or not v >= 0 or v == np.inf
        for v in class_weight.values()
    ):
        return "a class weight that is not a finite number >= 0"
    return None


# -- the property -----------------------------------------------------------------


def _state(estimator):
    """A deep copy of ``vars(estimator)``, with the optimiser's state unpacked
    so that equal states compare equal."""
    state = dict(vars(estimator))
    if "_optimizer" in state:
        state["_optimizer"] = vars(state["_optimizer"])
    return copy.deepcopy(state)


def assert_sums_to_1(proba):
    """Rows sum to 1 up to a few roundings in the dtype of ``proba``."""
    rtol = 4 * np.finfo(proba.dtype).eps
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=rtol)


def fits_or_refuses(estimator, call, X_check):
    """Run ``call(estimator)``: it succeeds and ``predict_proba(X_check)`` is
    finite with rows summing to 1 (returns True), or it raises ValueError or
    TypeError and ``estimator`` is unchanged (returns False)."""
    before = _state(estimator)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            call(estimator)
    except (ValueError, TypeError) as exc:
        event(f"refused: {str(exc)[:40]}")  # see --hypothesis-show-statistics
        np.testing.assert_equal(_state(estimator), before)
        return False
    event("succeeded")
    if X_check is not None:
        proba = estimator.predict_proba(X_check)
        assert np.isfinite(proba).all(), proba
        assert_sums_to_1(proba)
    return True


def _good_data(n_features=3, n_rows=20, labels=(0, 1)):
    """Finite X and its target: ``labels[1]`` where the first feature is
    positive, else ``labels[0]``."""
    rng = np.random.RandomState(0)
    X = rng.standard_normal((n_rows, n_features))
    return X, np.array(labels)[(X[:, 0] > 0).astype(int)]


def _finite_or_none(X):
    return X if X.dtype.kind != "f" or np.isfinite(X).all() else None


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=lambda e: e.__name__)
@FUZZ
@given(data=st.data())
def test_fit_succeeds_or_refuses_cleanly(estimator, data):
    params, X, y, y_kind, sample_weight = data.draw(examples(estimator))
    clf = estimator(**params)
    if data.draw(st.booleans(), label="fitted before"):
        # a failed fit must not lose the earlier one; warm_start continues it
        earlier = _good_data(X.shape[1], labels=LABELS.get(y_kind, (0, 1)))
        clf = estimator(max_iter=3, random_state=0).fit(*earlier)
        clf.set_params(**params, warm_start=data.draw(st.booleans()))

    fitted = fits_or_refuses(
        clf, lambda c: c.fit(X, y, sample_weight=sample_weight), _finite_or_none(X)
    )
    reason = known_bad(params, X, y_kind, sample_weight)
    assert not (fitted and reason), f"accepted {reason}"


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=lambda e: e.__name__)
@FUZZ
@given(data=st.data())
def test_partial_fit_succeeds_or_refuses_cleanly(estimator, data):
    params, X, y, y_kind, sample_weight = data.draw(examples(estimator))
    if params["class_weight"] == "balanced":  # refused by partial_fit
        params["class_weight"] = None
    clf = estimator(**params)
    for call in range(data.draw(st.integers(1, 3), label="calls")):
        if call:  # the next batch: the same width, labels and oddities
            n_rows = data.draw(st.integers(1, 40), label=f"n_rows {call}")
            X = data.draw(features(n_rows, X.shape[1]), label=f"X {call}")
            index = data.draw(
                st.lists(
                    st.integers(0, y.shape[0] - 1), min_size=n_rows, max_size=n_rows
                )
            )
            y = y[index]
            sample_weight = None if sample_weight is None else sample_weight[index]
        classes = None
        if data.draw(st.booleans(), label=f"classes {call}"):
            labels = {**LABELS, **BAD_LABELS}[y_kind]
            classes = np.array(labels, dtype=object if y.dtype == object else None)
        fits_or_refuses(
            clf,
            lambda c, X=X, y=y, s=sample_weight, k=classes: c.partial_fit(
                X, y, classes=k, sample_weight=s
            ),
            _finite_or_none(X),
        )


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=lambda e: e.__name__)
@FUZZ
@given(data=st.data())
def test_predict_proba_is_finite_or_refuses_cleanly(estimator, data):
    X_train, y_train = _good_data(4, 30)
    clf = estimator(max_iter=10, learning_rate=0.1).fit(X_train, y_train)
    n_features = data.draw(st.sampled_from([4, 4, 4, 1, 6]), label="n_features")
    odd = data.draw(st.sampled_from([(), (), ("X",)]), label="odd")
    X = data.draw(features(data.draw(st.integers(1, 40)), n_features, odd), label="X")
    shape = data.draw(st.sampled_from(["2d", "2d", "1d", "empty", "list"]))
    if shape == "1d":
        X = X[0]
    elif shape == "empty":
        X = X[:0]
    elif shape == "list":
        X = X.tolist()
    refused = not fits_or_refuses(clf, lambda c: c.predict_proba(X), None)
    usable = shape in ("2d", "list") and n_features == 4 and not odd
    if usable:
        assert not refused
        proba = clf.predict_proba(X)
        assert np.isfinite(proba).all()
        assert_sums_to_1(proba)
    else:
        assert refused, f"accepted X of shape {shape} with {n_features} features"
