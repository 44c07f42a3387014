"""What the classifiers add to the shared network: their targets (binary,
multiclass, multilabel), class weights and class predictions.

The target decides the output head (:data:`skdnn.heads.HEADS`), as
MLPClassifier's does:

* two classes: one sigmoid output, ``y = 1`` for ``classes_[1]`` (the
  course's model);
* three classes or more: softmax over one output per class, one-hot ``Y``;
* a multilabel indicator matrix ``(n_samples, n_labels)``: one independent
  sigmoid per label.
"""

import numpy as np
from sklearn.base import ClassifierMixin, _fit_context
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.multiclass import check_classification_targets, type_of_target

from . import _checks
from ._base import BaseNetwork, Target
from ._callbacks import with_callbacks
from ._warnings import warn_convergence
from .activations import log_sigmoid, sigmoid
from .heads import HEADS


def _binary_target(classes):
    def encode(y, dtype):
        return (y == classes[1]).astype(dtype)

    return Target("logistic", 1, encode, {"classes_": classes})


def _multiclass_target(classes):
    def encode(y, dtype):
        Y = np.zeros((y.shape[0], classes.shape[0]), dtype=dtype)
        Y[np.arange(y.shape[0]), np.searchsorted(classes, y)] = 1
        return Y

    return Target("softmax", classes.shape[0], encode, {"classes_": classes})


def _multilabel_target(n_labels):
    def encode(y, dtype):
        return np.asarray(y, dtype=dtype)

    return Target("logistic", n_labels, encode, {"classes_": np.arange(n_labels)})


class ClassifierNetwork(ClassifierMixin, BaseNetwork):
    """A network whose outputs are class probabilities. Not for direct use:
    see :class:`DeepClassifier` and :class:`DeepBinaryClassifier`."""

    #: DeepBinaryClassifier and LogisticRegressionGD take two classes only.
    _binary_only = False

    _parameter_constraints: dict = {
        **BaseNetwork._parameter_constraints,
        "class_weight": [StrOptions({"balanced"}), dict, None],
    }

    @with_callbacks
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """One epoch over ``(X, y)``, continuing from the current parameters.

        The first call initialises the network; later calls keep counting
        ``n_iter_`` and ``loss_curve_`` and keep the optimiser's state
        (momentum, Adam's moments). As in MLPClassifier, it refuses
        ``early_stopping=True``.

        Parameters
        ----------
        X : array-like or dask array of shape (n_samples, n_features)
            Training data of this call; a ``dask.array`` is streamed block by
            block.
        y : array-like of shape (n_samples,) or (n_samples, n_labels)
            Target of this call, with labels among ``classes``.
        classes : array-like of shape (n_classes,), default=None
            Every class label. Needed on the first call unless ``y`` already
            has them all; ignored afterwards except for a consistency check.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights, as in :meth:`fit`.

        Returns
        -------
        self : object
            The estimator, trained one more epoch.
        """
        return self._fit(X, y, sample_weight, incremental=True, classes=classes)

    # -- the target ------------------------------------------------------------------

    def _check_target(self, y, classes, continuing, incremental):
        """The :class:`Target` of this fit; ``y`` must fit in it."""
        if y.ndim == 2:
            return self._check_multilabel(y, continuing)
        _checks.check_labels(y, classes)
        check_classification_targets(y)
        labels = np.unique(y)
        if continuing:
            return self._continued_target(labels, classes, incremental)
        if classes is not None:
            classes = np.unique(classes)
            unseen = np.setdiff1d(labels, classes)
            if unseen.size:
                raise ValueError(
                    f"y has labels {unseen.tolist()} that are not in "
                    f"classes={classes.tolist()}."
                )
            labels = classes
        return self._target_of(labels, incremental)

    def _target_of(self, classes, incremental):
        """The target of a first fit on these (sorted) classes."""
        n = classes.shape[0]
        if n == 2:
            return _binary_target(classes)
        hint = " On the first call of partial_fit, pass every class as classes=."
        if self._binary_only:
            raise ValueError(
                f"Only binary classification is supported; y has {n} "
                f"class{'es' if n != 1 else ''} ({type(self).__name__} takes "
                "exactly two). Use skdnn.DeepClassifier for more than two "
                "classes." + (hint if incremental else "")
            )
        if n < 2:
            raise ValueError(
                f"y has {n} class{'es' if n != 1 else ''}: a classifier needs at "
                "least two." + (hint if incremental else "")
            )
        return _multiclass_target(classes)

    def _continued_target(self, labels, classes, incremental):
        """The target of the fit being continued (warm start, partial_fit)."""
        fitted = self.classes_
        if classes is not None and not np.array_equal(np.unique(classes), fitted):
            raise ValueError(
                f"classes={np.asarray(classes).tolist()} differs from the "
                f"classes of the previous fit, {fitted.tolist()}."
            )
        if incremental:
            unseen = np.setdiff1d(labels, fitted)
            if unseen.size:
                raise ValueError(
                    f"y has labels {unseen.tolist()} that are not in classes_ "
                    f"{fitted.tolist()}."
                )
        elif not np.array_equal(labels, fitted):
            raise ValueError(
                "warm_start needs y to have the classes of the previous fit, "
                f"{fitted.tolist()}; got {labels.tolist()}."
            )
        if self.out_activation_ == "softmax":
            return _multiclass_target(fitted)
        return _binary_target(fitted)

    def _check_multilabel(self, y, continuing):
        """A 2-D ``y`` must be a multilabel indicator matrix of 2+ columns."""
        y_type = type_of_target(y, input_name="y")
        if self._binary_only or y_type != "multilabel-indicator" or y.shape[1] < 2:
            what = (
                "a binary 1-D y"
                if self._binary_only
                else "a 0/1 indicator matrix with two or more columns (multilabel)"
            )
            raise ValueError(
                f"y of shape {y.shape} (type of target: {y_type}) cannot be "
                f"learned by {type(self).__name__}: give {what}."
            )
        if continuing and self.n_outputs_ != y.shape[1]:
            raise ValueError(
                f"y has {y.shape[1]} labels; the previous fit had {self.n_outputs_}."
            )
        return _multilabel_target(y.shape[1])

    def _apply_class_weights(self, sample_weight, y, incremental, target):
        """``sample_weight`` times the weight of each sample's class
        (``class_weight``), checked to name ``class_weight`` on bad values."""
        if self.class_weight is None:
            return sample_weight
        if incremental and self.class_weight == "balanced":
            raise ValueError(
                "class_weight='balanced' needs the whole target and cannot "
                "be used with partial_fit; pass a dict of class weights."
            )
        if y.ndim == 2:  # multilabel: scikit-learn's per-output weights
            weights = compute_sample_weight(self.class_weight, y)
            return sample_weight * weights.astype(sample_weight.dtype)
        _checks.check_class_weight(self.class_weight, target.attributes["classes_"])
        return _checks.apply_class_weight(sample_weight, y, self.class_weight)

    def _check_validation_target(self, y_val, target):
        """``y_val``'s labels must be among the classes of the fit (0 and 1
        for a multilabel target)."""
        _checks.check_validation_labels(y_val, target.attributes["classes_"])

    def _apply_validation_class_weights(self, sample_weight_val, y, y_val):
        """``sample_weight_val`` times each validation row's class weight:
        ``class_weight``'s, for ``"balanced"`` from the class shares of the
        training target ``y``, as the rows that early stopping's own split
        holds out get theirs."""
        if self.class_weight is None:
            return sample_weight_val
        weights = _checks.validation_class_weights(y, y_val, self.class_weight)
        with np.errstate(over="ignore", invalid="ignore", under="ignore"):
            return sample_weight_val * weights.astype(sample_weight_val.dtype)

    def _stratify(self, y):
        """Early stopping's split keeps the class shares (not for multilabel)."""
        return y if y.ndim == 1 else None

    def _check_ending(self, state, Z_L):
        """Warn with ``ConvergenceWarning`` when the fitted model predicts one
        class for every training row although ``y`` has several: the
        silent failure of plain gradient descent on unscaled or hard tabular
        data (the cost still falls, slowly, at ``max_iter``). Multilabel
        targets are not judged. Otherwise the network's check (the cost
        still falling at ``max_iter``)."""
        labels = state.seen["y"]
        if Z_L is None or labels.ndim != 1:
            return super()._check_ending(state, Z_L)
        predicted = Z_L.argmax(axis=1) if Z_L.shape[1] > 1 else Z_L[:, 0] > 0
        if np.unique(predicted).size == 1 and np.unique(labels).size > 1:
            only = state.target.attributes["classes_"][int(predicted[0])]
            warn_convergence(
                f"The fitted model predicts {str(only)!r} for every training "
                f"sample after {state.history['n_iter_']} epochs of "
                f"solver={self.solver!r} (learning_rate={self.learning_rate!r}): "
                "it has learned nothing yet. Scale the features "
                "(StandardScaler), raise learning_rate or max_iter, or use "
                "solver='adam' or 'lbfgs', with early_stopping=True."
            )
            return
        super()._check_ending(state, Z_L)

    def _validation_score(self, logit, Y, sample_weight, head):
        """Accuracy of the logits on the one-hot or 0/1 targets ``Y``."""
        Z = logit if logit.ndim == 2 else logit[:, np.newaxis]
        Y = Y if Y.ndim == 2 else Y[:, np.newaxis]
        if head == "softmax":
            correct = Z.argmax(axis=1) == Y.argmax(axis=1)
        else:
            correct = ((Z > 0) == (Y == 1)).all(axis=1)
        return float(np.average(correct, weights=sample_weight))

    # -- predict (course step 7) -------------------------------------------------

    def decision_function(self, X):
        """The logits ``Z[L]``: ``> 0`` means the positive class (binary).

        Parameters
        ----------
        X : array-like or dask array of shape (n_samples, n_features)
            Samples, one per row. For a ``dask.array`` the result is a lazy
            dask array, computed block by block.

        Returns
        -------
        logit : ndarray of shape (n_samples,) or (n_samples, `n_outputs_`)
            For two classes ``log(p / (1 - p))`` with ``p`` the probability of
            ``classes_[1]``; otherwise one column per class (or label).
        """
        self._check_fitted()
        return self._predict(X, _identity, n_columns=self._n_columns())

    def _n_columns(self):
        return None if self.n_outputs_ == 1 else self.n_outputs_

    def predict_proba(self, X):
        """Probability of each class.

        ``[1 - A[L], A[L]]`` for two classes, the softmax for more, each
        label's sigmoid for multilabel targets.

        Parameters
        ----------
        X : array-like or dask array of shape (n_samples, n_features)
            Samples, one per row. For a ``dask.array`` the result is a lazy
            dask array, computed block by block.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Columns follow ``classes_``.
        """
        self._check_fitted()
        n = self.classes_.shape[0]
        return self._predict(X, _proba, self.out_activation_, n_columns=n)

    def predict_log_proba(self, X):
        """Log of :meth:`predict_proba`, computed stably from the logits.

        Parameters
        ----------
        X : array-like or dask array of shape (n_samples, n_features)
            Samples, one per row. For a ``dask.array`` the result is a lazy
            dask array, computed block by block.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            Log-probabilities; columns follow ``classes_``.
        """
        self._check_fitted()
        n = self.classes_.shape[0]
        return self._predict(X, _log_proba, self.out_activation_, n_columns=n)

    def predict(self, X):
        """Predicted class of each sample.

        ``classes_[1]`` where ``A[L] > 0.5`` (two classes), the most probable
        class (more), or the 0/1 indicator of every label with
        ``A[L] > 0.5`` (multilabel).

        Parameters
        ----------
        X : array-like or dask array of shape (n_samples, n_features)
            Samples, one per row. For a ``dask.array`` the result is a lazy
            dask array, computed block by block.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_labels)
            Predicted labels, from ``classes_``.
        """
        self._check_fitted()
        if self.out_activation_ == "logistic" and self.n_outputs_ > 1:
            return self._predict(
                X, _indicators, n_columns=self.n_outputs_, dtype=np.int64
            )
        return self._predict(X, _labels, self.classes_, dtype=self.classes_.dtype)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = not self._binary_only
        tags.classifier_tags.multi_label = not self._binary_only
        return tags


def _identity(z):
    return z


def _proba(z, head):
    """Class probabilities from the logits (``sigmoid(-z)``, not
    ``1 - sigmoid(z)``, keeps tiny probabilities exact)."""
    if z.ndim == 1:
        proba = np.empty((z.shape[0], 2), dtype=z.dtype)
        sigmoid(-z, out=proba[:, 0])
        sigmoid(z, out=proba[:, 1])
        return proba
    return HEADS[head].activation(z)


def _log_proba(z, head):
    """``log`` of :func:`_proba`, computed stably."""
    if z.ndim == 1:
        return np.column_stack([log_sigmoid(-z), log_sigmoid(z)])
    if head == "softmax":
        return z - np.logaddexp.reduce(z, axis=1, keepdims=True)
    return log_sigmoid(z)


def _labels(z, classes):
    """``classes[1]`` where ``z > 0`` (one output), else the class of the
    largest logit."""
    if z.ndim == 1:
        return classes[(z > 0).astype(np.intp)]
    return classes[z.argmax(axis=1)]


def _indicators(z):
    """Multilabel: 1 for every label whose logit is positive."""
    return (z > 0).astype(np.int64)
