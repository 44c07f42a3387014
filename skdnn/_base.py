"""The estimator both public classes share: validation, the training loop
(the course's step 6) and prediction (step 7).

``DeepBinaryClassifier`` and ``LogisticRegressionGD`` only say which layers
the network has and which activation its hidden layers use; everything else is
here, over the functions of :mod:`skdnn._engine`.
"""

import signal
import threading
import warnings
from contextlib import contextmanager
from numbers import Integral, Real

import numpy as np
from sklearn import get_config
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import gen_batches
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import (
    _check_sample_weight,
    check_is_fitted,
    validate_data,
)

from ._engine import compute_cost, forward_propagation, predict_logit
from ._solvers import SOLVERS, choose_space
from .activations import log_sigmoid, sigmoid
from .initializers import initialize_parameters

#: The float dtypes that are trained as they are; anything else becomes float64.
FLOAT_DTYPES = (np.float64, np.float32)


@contextmanager
def _unchanged_on_error(estimator):
    """Leave ``estimator`` exactly as it was if the block raises.

    ``validate_data`` sets ``n_features_in_`` before the target is checked;
    a failed ``fit`` must not leave such half-changes behind.
    """
    saved = dict(vars(estimator))
    try:
        yield
    except BaseException:
        vars(estimator).clear()
        vars(estimator).update(saved)
        raise


@contextmanager
def _deferred_interrupt():
    """Turn Ctrl-C during training into a flag checked between iterations.

    Yields a ``threading.Event`` that is set on SIGINT, so the loop can stop
    after a whole update and keep consistent parameters. Outside the main
    thread, or when a custom SIGINT handler is installed, nothing changes.
    """
    interrupted = threading.Event()
    if (
        threading.current_thread() is not threading.main_thread()
        or signal.getsignal(signal.SIGINT) is not signal.default_int_handler
    ):
        yield interrupted
        return
    previous = signal.signal(signal.SIGINT, lambda signum, frame: interrupted.set())
    try:
        yield interrupted
    finally:
        signal.signal(signal.SIGINT, previous)


class BaseBinaryNetwork(ClassifierMixin, BaseEstimator):
    """Binary classifier ``[LINEAR -> g] x (L-1) -> LINEAR -> SIGMOID`` trained
    by full-batch gradient descent. Not for direct use: see the subclasses."""

    _parameter_constraints: dict = {
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "init": [StrOptions({"xavier", "he", "random", "zeros"})],
        "tol": [Interval(Real, 0, None, closed="left"), None],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "space": [StrOptions({"auto", "feature", "sample"})],
    }

    # -- what the subclasses define ------------------------------------------

    def _hidden_layer_sizes(self):
        """Widths of the hidden layers, a tuple of positive ints."""
        raise NotImplementedError

    def _hidden_activation(self):
        """Name of the hidden-layer activation (unused without hidden layers)."""
        raise NotImplementedError

    # -- fit -------------------------------------------------------------------

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the network by full-batch gradient descent (the course's model).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data. float32 data is trained in float32, anything else
            in float64.
        y : array-like of shape (n_samples,)
            Target with exactly two classes.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights; ``None`` gives every sample weight 1, which
            is the course's cost.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        with _unchanged_on_error(self):
            hidden = self._hidden_layer_sizes()
            X, y = validate_data(self, X, y, dtype=FLOAT_DTYPES, y_numeric=False)
            classes, y01 = _encode_binary_target(y, X.dtype)
            sample_weight = _check_sample_weight(
                sample_weight, X, dtype=X.dtype, ensure_non_negative=True
            )
            if not sample_weight.sum() > 0:
                raise ValueError(
                    "sample_weight sums to zero: at least one sample needs a "
                    "positive weight."
                )

            layer_sizes = [X.shape[1], *hidden, 1]
            coefs, intercepts = initialize_parameters(
                layer_sizes, self.init, self.random_state, dtype=X.dtype
            )
            loss_curve = self._gradient_descent(
                X, y01, sample_weight, coefs, intercepts
            )

        self.classes_ = classes
        self.coefs_ = coefs
        self.intercepts_ = intercepts
        self.loss_curve_ = loss_curve
        self.n_iter_ = len(loss_curve)
        self.n_layers_ = len(layer_sizes)
        self.n_outputs_ = 1
        self.out_activation_ = "logistic"
        return self

    def _gradient_descent(self, X, y, sample_weight, coefs, intercepts):
        """Course step 6: repeat forward, cost, backward, update ``max_iter``
        times (fewer when ``tol`` is met or Ctrl-C is pressed). Updates
        ``coefs`` and ``intercepts`` in place and returns the cost of every
        iteration, each computed before that iteration's update."""
        activation = self._hidden_activation()
        space = choose_space(
            self.space, X.shape[0], X.shape[1], coefs[0].shape[1], self.max_iter
        )
        solver = SOLVERS[space](
            X, y, sample_weight, coefs, intercepts, activation, self.alpha
        )
        loss_curve = []
        with _deferred_interrupt() as interrupted, np.errstate(all="ignore"):
            for i in range(self.max_iter):
                cost = solver.forward_cost()
                if not np.isfinite(cost):
                    raise ValueError(self._diverged(f"the cost is {cost}", i))
                loss_curve.append(cost)
                if self.verbose and (i % 100 == 0 or i == self.max_iter - 1):
                    print(f"Cost after iteration {i}: {cost:f}")
                solver.backward_update(self.learning_rate)
                if interrupted.is_set():
                    warnings.warn(
                        f"Training interrupted after iteration {i + 1} of "
                        f"{self.max_iter}; keeping the parameters of that "
                        "iteration.",
                        ConvergenceWarning,
                        stacklevel=4,
                    )
                    break
                if (
                    self.tol is not None
                    and i > 0
                    and loss_curve[-2] - loss_curve[-1] < self.tol
                ):
                    break
            else:
                if self.tol is not None:
                    warnings.warn(
                        f"Gradient descent reached max_iter={self.max_iter} "
                        f"before the cost improved by less than tol={self.tol}.",
                        ConvergenceWarning,
                        stacklevel=4,
                    )
            solver.finish()
            # The last update is not followed by a cost: check it here.
            Z_L = forward_propagation(X, coefs, intercepts, activation)[-1]
            final_cost = compute_cost(Z_L, y, sample_weight, coefs, self.alpha)
        if not np.isfinite(final_cost):
            raise ValueError(
                self._diverged("the last update made the cost non-finite", i)
            )
        return loss_curve

    def _diverged(self, what, iteration):
        return (
            f"Gradient descent diverged: {what} at iteration {iteration}. Lower "
            f"learning_rate (now {self.learning_rate!r}) or scale the features, "
            "for example with sklearn.preprocessing.StandardScaler."
        )

    # -- predict (course step 7) ----------------------------------------------

    def decision_function(self, X):
        """The logit ``Z[L]`` of each sample: ``> 0`` means the positive class.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        logit : ndarray of shape (n_samples,)
            ``log(p / (1 - p))`` with ``p`` the probability of ``classes_[1]``.
        """
        check_is_fitted(self)
        X = validate_data(self, X, dtype=FLOAT_DTYPES, reset=False)
        activation = self._hidden_activation()
        n_rows = _chunk_n_rows(X.dtype.itemsize * sum(b.size for b in self.intercepts_))
        if X.shape[0] <= n_rows:
            return predict_logit(X, self.coefs_, self.intercepts_, activation)
        logit = np.empty(X.shape[0], dtype=np.result_type(X, self.coefs_[0]))
        for rows in gen_batches(X.shape[0], n_rows):
            logit[rows] = predict_logit(
                X[rows], self.coefs_, self.intercepts_, activation
            )
        return logit

    def predict_proba(self, X):
        """Probability of each class, ``[1 - A[L], A[L]]``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        proba : ndarray of shape (n_samples, 2)
            Columns follow ``classes_``.
        """
        z = self.decision_function(X)
        return np.column_stack([sigmoid(-z), sigmoid(z)])

    def predict_log_proba(self, X):
        """Log of :meth:`predict_proba`, computed stably from the logit.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        log_proba : ndarray of shape (n_samples, 2)
        """
        z = self.decision_function(X)
        return np.column_stack([log_sigmoid(-z), log_sigmoid(z)])

    def predict(self, X):
        """Predicted class: ``classes_[1]`` where ``A[L] > 0.5``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
        """
        positive = self.decision_function(X) > 0
        return self.classes_[positive.astype(np.intp)]

    @property
    def parameters_(self):
        """The course's ``parameters`` dict: ``W1`` of shape ``(n_1, n_0)``,
        ``b1`` of shape ``(n_1, 1)``, ... (copies, in the course's
        orientation)."""
        check_is_fitted(self)
        parameters = {}
        for l, (W, b) in enumerate(
            zip(self.coefs_, self.intercepts_, strict=True), start=1
        ):
            parameters[f"W{l}"] = W.T.copy()
            parameters[f"b{l}"] = b.reshape(-1, 1).copy()
        return parameters

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = False
        return tags


def _chunk_n_rows(row_bytes):
    """Rows to predict at once so that the activations of one chunk fit in
    scikit-learn's ``working_memory`` (``sklearn.set_config``, in MiB)."""
    working_memory = get_config()["working_memory"]
    return max(1, int(working_memory * 2**20 // max(row_bytes, 1)))


def _encode_binary_target(y, dtype):
    """Check that ``y`` has exactly two classes; return ``classes_`` and
    ``y`` as 0/1 in ``dtype`` (1 for ``classes_[1]``)."""
    check_classification_targets(y)
    classes = np.unique(y)
    y_type = type_of_target(y, input_name="y")
    if y_type != "binary" or classes.shape[0] != 2:
        raise ValueError(
            "Only binary classification is supported; y has "
            f"{classes.shape[0]} class{'es' if classes.shape[0] != 1 else ''} "
            f"(type of target: {y_type}). For more than two classes wrap the "
            "estimator in sklearn.multiclass.OneVsRestClassifier."
        )
    return classes, (y == classes[1]).astype(dtype)
