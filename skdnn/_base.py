"""The estimator both public classes share: validation, the training loop
(the course's step 6) and prediction (step 7).

``DeepBinaryClassifier`` and ``LogisticRegressionGD`` only say which layers
the network has and which activation its hidden layers use; everything else is
here, over the functions of :mod:`skdnn._engine`.
"""

import copy
import signal
import threading
import warnings
from contextlib import ExitStack, contextmanager
from numbers import Integral, Real

import numpy as np
from sklearn import get_config
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state, gen_batches
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import (
    _check_sample_weight,
    check_consistent_length,
    check_is_fitted,
    column_or_1d,
    validate_data,
)

from . import _checks, _dask
from ._callbacks import CallbackSupportMixin, with_callbacks
from ._engine import compute_cost, predict_logit
from ._parallel import blas_thread_limit
from ._solvers import (
    OPTIMIZERS,
    FeatureSpaceTrainer,
    SampleSpaceTrainer,
    choose_space,
)
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
        # scikit-learn's callback machinery tears its own state down after fit
        callback_state = {
            k: v
            for k, v in vars(estimator).items()
            if k.startswith(("_callback", "_skl_callbacks"))
        }
        vars(estimator).clear()
        vars(estimator).update(saved, **callback_state)
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


class BaseBinaryNetwork(CallbackSupportMixin, ClassifierMixin, BaseEstimator):
    """Binary classifier ``[LINEAR -> g] x (L-1) -> LINEAR -> SIGMOID`` trained
    by gradient descent. Not for direct use: see the subclasses."""

    _parameter_constraints: dict = {
        "solver": [StrOptions(set(OPTIMIZERS))],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "learning_rate_decay": [Interval(Real, 0, None, closed="left")],
        "max_iter": [_checks.IntervalNotBool(Integral, 1, None, closed="left")],
        "batch_size": [_checks.IntervalNotBool(Integral, 1, None, closed="left"), None],
        "shuffle": ["boolean"],
        "momentum": [Interval(Real, 0, 1, closed="left")],
        "beta_1": [Interval(Real, 0, 1, closed="left")],
        "beta_2": [Interval(Real, 0, 1, closed="left")],
        "epsilon": [Interval(Real, 0, None, closed="neither")],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "init": [StrOptions({"xavier", "he", "random", "zeros"})],
        "class_weight": [StrOptions({"balanced"}), dict, None],
        "tol": [Interval(Real, 0, None, closed="left"), None],
        "n_iter_no_change": [_checks.IntervalNotBool(Integral, 1, None, closed="left")],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "warm_start": ["boolean"],
        "space": [StrOptions({"auto", "feature", "sample"})],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    # -- what the subclasses define ------------------------------------------

    def _hidden_layer_sizes(self):
        """Widths of the hidden layers, a tuple of positive ints."""
        raise NotImplementedError

    def _hidden_activations(self, n_hidden):
        """One activation name per hidden layer."""
        raise NotImplementedError

    def _dropout_rates(self, n_hidden):
        """One dropout rate (fraction of units switched off) per hidden layer."""
        return [0.0] * n_hidden

    # -- fit -------------------------------------------------------------------

    @with_callbacks
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the network by gradient descent.

        By default this is the course's full-batch gradient descent, for
        ``max_iter`` iterations.

        Parameters
        ----------
        X : array-like or dask array of shape (n_samples, n_features)
            Training data. float32 data is trained in float32, anything else
            in float64. A ``dask.array`` is not loaded: each iteration sums
            the cost and gradients of its row blocks where they are (see
            "Beyond one machine" in the documentation).
        y : array-like of shape (n_samples,)
            Target with exactly two classes.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights; ``None`` gives every sample weight 1, which
            is the course's cost. Multiplied by ``class_weight``.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        return self._fit(X, y, sample_weight, incremental=False)

    @with_callbacks
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """One epoch over ``(X, y)``, continuing from the current parameters.

        The first call initialises the network; later calls keep counting
        ``n_iter_`` and ``loss_curve_`` and keep the optimiser's state
        (momentum, Adam's moments). ``early_stopping`` does not apply.

        Parameters
        ----------
        X : array-like or dask array of shape (n_samples, n_features)
            Training data of this call; a ``dask.array`` is streamed block by
            block.
        y : array-like of shape (n_samples,)
            Target of this call, with labels among ``classes``.
        classes : array-like of shape (2,), default=None
            Both class labels. Needed on the first call unless ``y`` already
            has both; ignored afterwards except for a consistency check.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights, as in :meth:`fit`.

        Returns
        -------
        self : object
            The estimator, trained one more epoch.
        """
        return self._fit(X, y, sample_weight, incremental=True, classes=classes)

    def _fit(self, X, y, sample_weight, incremental, classes=None):
        with _unchanged_on_error(self):
            continuing = hasattr(self, "coefs_") and (incremental or self.warm_start)
            blockwise = _dask.is_dask_collection(X)
            if blockwise:
                X, y = self._validate_dask(X, y, reset=not continuing)
                sample_weight = _dask.to_numpy(sample_weight)
            else:
                X, y = validate_data(
                    self,
                    X,
                    y,
                    dtype=FLOAT_DTYPES,
                    y_numeric=False,
                    reset=not continuing,
                )
            classes = self._check_classes(y, classes, continuing, incremental)
            _checks.check_class_weight(self.class_weight, classes)
            metadata = None if sample_weight is None else {}
            sample_weight = self._sample_weight(sample_weight, X, y, incremental)
            hidden = self._hidden_layer_sizes()
            activations = self._hidden_activations(len(hidden))
            keep_probs = [1 - rate for rate in self._dropout_rates(len(hidden))]
            if incremental and continuing and hasattr(self, "_rng_state"):
                # partial_fit goes on drawing where the last call stopped
                rng = np.random.RandomState()
                rng.set_state(self._rng_state)
            else:
                rng = check_random_state(self.random_state)

            layer_sizes = [X.shape[1], *hidden, 1]
            _checks.check_before_training(
                self, X, y, sample_weight, layer_sizes, continuing, incremental
            )
            if continuing:
                coefs, intercepts = self._continued_parameters(layer_sizes)
                if X.dtype != coefs[0].dtype:
                    X = X.astype(coefs[0].dtype)
                history = {name: getattr(self, name) for name in _HISTORY}
            else:
                coefs, intercepts = initialize_parameters(
                    layer_sizes, self.init, rng, dtype=X.dtype
                )
                history = dict(_HISTORY)
            history = {k: copy.copy(v) for k, v in history.items()}
            labels, y = y, (y == classes[1]).astype(X.dtype)

            validation = None
            if self.early_stopping and not incremental:
                # An int random_state gives the same split on every fit, so a
                # warm start validates on the rows held out before.
                split_seed = (
                    self.random_state
                    if isinstance(self.random_state, Integral)
                    else rng
                )
                X, X_val, y, y_val, labels, _, sample_weight, sw_val = train_test_split(
                    X,
                    y,
                    labels,
                    sample_weight,
                    test_size=self.validation_fraction,
                    stratify=y,
                    random_state=split_seed,
                )
                _checks.check_split_weights(
                    sample_weight, sw_val, self.validation_fraction
                )
                validation = (X_val, y_val, sw_val)
            if metadata is not None:
                metadata["sample_weight"] = sample_weight

            if incremental and continuing and hasattr(self, "_optimizer"):
                # (a model loaded from a file has no optimiser state: start anew)
                optimizer = copy.deepcopy(self._optimizer)
            else:
                optimizer = OPTIMIZERS[self.solver](
                    coefs,
                    intercepts,
                    momentum=self.momentum,
                    beta_1=self.beta_1,
                    beta_2=self.beta_2,
                    epsilon=self.epsilon,
                )
            with ExitStack() as stack:
                if blockwise and self.batch_size is None:
                    # the blocks limit their BLAS threads where they are
                    # computed; leaving the with block frees their buffers
                    trainer = stack.enter_context(
                        _dask.BlockwiseTrainer(
                            X,
                            y,
                            sample_weight,
                            coefs,
                            intercepts,
                            activations,
                            self.alpha,
                            optimizer,
                            keep_probs,
                            rng,
                        )
                    )
                elif self._use_sample_space(X, coefs, keep_probs, incremental):
                    # the Gram matrix of the sample space is BLAS work too
                    stack.enter_context(blas_thread_limit())
                    trainer = SampleSpaceTrainer(
                        X, coefs, intercepts, activations, self.alpha
                    )
                else:
                    stack.enter_context(blas_thread_limit())
                    # a dask array comes in one row block at a time
                    batch_rows = self.batch_size or X.shape[0]
                    if blockwise:
                        batch_rows = min(batch_rows, max(X.chunks[0]))
                    trainer = FeatureSpaceTrainer(
                        coefs,
                        intercepts,
                        activations,
                        self.alpha,
                        optimizer,
                        keep_probs,
                        rng,
                        max_rows=min(batch_rows, X.shape[0]),
                    )
                self._train(
                    trainer,
                    X,
                    y,
                    sample_weight,
                    validation,
                    classes,
                    history,
                    rng,
                    incremental,
                    (labels, metadata),
                )

        self.classes_ = classes
        self.coefs_ = coefs
        self.intercepts_ = intercepts
        for name, value in history.items():
            setattr(self, name, value)
        self.n_layers_ = len(layer_sizes)
        self.n_outputs_ = 1
        self.out_activation_ = "logistic"
        self._optimizer = optimizer
        self._rng_state = rng.get_state(legacy=False)
        return self

    def _validate_dask(self, X, y, reset):
        """``validate_data`` for a dask array ``X`` (left where it is) and its
        target (brought into memory)."""
        if self.early_stopping:
            raise ValueError(
                "early_stopping=True is not available when X is a dask array; "
                "hold out a validation set yourself or load X into memory."
            )
        if self.space == "sample":
            raise ValueError(
                "space='sample' needs X in memory; X is a dask array: use "
                "space='auto' or 'feature'."
            )
        X = _dask.check_array(self, X, reset=reset, float_dtypes=FLOAT_DTYPES)
        y = column_or_1d(_dask.to_numpy(y), warn=True)
        check_consistent_length(X, y)
        return X, y

    def _check_classes(self, y, classes, continuing, incremental):
        """``classes_`` for this fit; the target must fit in it."""
        _checks.check_labels(y, classes)
        check_classification_targets(y)
        if continuing:
            if classes is not None and not np.array_equal(
                np.unique(classes), self.classes_
            ):
                raise ValueError(
                    f"classes={np.asarray(classes).tolist()} differs from the "
                    f"classes of the previous fit, {self.classes_.tolist()}."
                )
            labels = np.unique(y)
            if incremental:
                unseen = np.setdiff1d(labels, self.classes_)
                if unseen.size:
                    raise ValueError(
                        f"y has labels {unseen.tolist()} that are not in classes_ "
                        f"{self.classes_.tolist()}."
                    )
            elif not np.array_equal(labels, self.classes_):
                raise ValueError(
                    "warm_start needs y to have the classes of the previous fit, "
                    f"{self.classes_.tolist()}; got {labels.tolist()}."
                )
            return self.classes_
        if classes is None:
            try:
                return _binary_classes(y)
            except ValueError as exc:
                if incremental:
                    raise ValueError(
                        f"{exc} On the first call of partial_fit, pass both class "
                        "labels as classes=."
                    ) from None
                raise
        classes = _binary_classes(np.asarray(classes))
        unseen = np.setdiff1d(np.unique(y), classes)
        if unseen.size:
            raise ValueError(
                f"y has labels {unseen.tolist()} that are not in "
                f"classes={classes.tolist()}."
            )
        return classes

    def _sample_weight(self, sample_weight, X, y, incremental):
        """``sample_weight`` times the weight of each sample's class."""
        sample_weight = _check_sample_weight(
            sample_weight, X, dtype=X.dtype, ensure_non_negative=True
        )
        _checks.check_weight_sum(sample_weight, "sample_weight")
        if self.class_weight is not None:
            if incremental and self.class_weight == "balanced":
                raise ValueError(
                    "class_weight='balanced' needs the whole target and cannot "
                    "be used with partial_fit; pass a dict of class weights."
                )
            sample_weight = _checks.apply_class_weight(
                sample_weight, y, self.class_weight
            )
        if not sample_weight.sum() > 0:
            raise ValueError(
                "sample_weight sums to zero: at least one sample needs a "
                "positive weight."
            )
        return sample_weight

    def _continued_parameters(self, layer_sizes):
        """Copies of the fitted parameters to continue from (warm start or
        partial_fit), after checking that the layers are the same."""
        fitted = [self.coefs_[0].shape[0], *(W.shape[1] for W in self.coefs_)]
        if fitted != layer_sizes:
            raise ValueError(
                f"Cannot continue training: the network was fitted with layer "
                f"sizes {fitted} and is now asked for {layer_sizes}. Set "
                "warm_start=False or keep hidden_layer_sizes."
            )
        return [W.copy() for W in self.coefs_], [b.copy() for b in self.intercepts_]

    def _use_sample_space(self, X, coefs, keep_probs, incremental):
        """Whether to train in the sample space: it must be exact (plain
        full-batch gradient descent, no dropout, one X) and, with
        ``space="auto"``, cheaper."""
        exact = (
            self.solver == "gd"
            and self.batch_size is None
            and not incremental
            and all(keep == 1 for keep in keep_probs)
        )
        if self.space == "sample" and not exact:
            raise ValueError(
                "space='sample' needs solver='gd', batch_size=None, no dropout "
                "and fit (not partial_fit); use space='auto' or 'feature'."
            )
        if self.space == "auto" and exact:
            n_first = coefs[0].shape[1]
            return choose_space(*X.shape, n_first, self.max_iter) == "sample"
        return self.space == "sample"

    def _train(
        self,
        trainer,
        X,
        y,
        sample_weight,
        validation,
        classes,
        history,
        rng,
        incremental,
        callback_data,
    ):
        """Course step 6: epochs of forward, cost, backward, update, until
        ``max_iter`` epochs (one for ``partial_fit``), convergence
        (``tol``, ``early_stopping``), a callback or Ctrl-C. Updates the
        parameters through ``trainer`` and the lists in ``history``.
        ``callback_data`` is what callbacks see: the labels as given and the
        metadata (``sample_weight``)."""
        n_epochs = 1 if incremental else self.max_iter
        monitor = _Monitor(self.tol, self.n_iter_no_change, validation is not None)
        callback_ctx = self._init_callback_context(max_subtasks=n_epochs)
        labels, metadata = callback_data
        seen = {"X": X, "y": labels, "metadata": metadata}
        callback_ctx.call_on_fit_task_begin(estimator=self, **seen)

        def fitted_state():
            coefs, intercepts = trainer.parameters()
            return {"coefs_": coefs, "intercepts_": intercepts, "classes_": classes}

        # Without callbacks an epoch needs no context of its own (they cost
        # about 0.1 ms each, a few % of a small iteration).
        with_epochs = bool(getattr(callback_ctx, "_callbacks", True))
        with _deferred_interrupt() as interrupted, np.errstate(all="ignore"):
            for _ in range(n_epochs):
                epoch = history["n_iter_"]
                if with_epochs:
                    epoch_ctx = callback_ctx.subcontext(task_name="epoch")
                    epoch_ctx.call_on_fit_task_begin(estimator=self, **seen)
                learning_rate = self.learning_rate / (
                    1 + self.learning_rate_decay * epoch
                )
                cost, n_updates = self._epoch(
                    trainer, X, y, sample_weight, learning_rate, rng
                )
                if not np.isfinite(cost):
                    raise ValueError(self._diverged(f"the cost is {cost}", epoch))
                history["loss_curve_"].append(cost)
                history["n_iter_"] += 1
                history["t_"] += n_updates
                if self.verbose and (epoch % 100 == 0 or _ == n_epochs - 1):
                    unit = "iteration" if self.batch_size is None else "epoch"
                    print(f"Cost after {unit} {epoch}: {cost:f}")
                monitored = cost
                if validation is not None:
                    monitored = self._validate(trainer, validation, history)
                monitor.record(monitored, trainer)

                stop = with_epochs and epoch_ctx.call_on_fit_task_end(
                    estimator=self, reconstruction_attributes=fitted_state, **seen
                )
                if interrupted.is_set():
                    warnings.warn(
                        f"Training interrupted after iteration {epoch + 1}; "
                        "keeping the parameters of that iteration.",
                        ConvergenceWarning,
                        stacklevel=5,
                    )
                    break
                if stop or monitor.converged:
                    break
            else:
                if monitor.active and n_epochs > 1:
                    monitored = "validation loss" if validation else "cost"
                    warnings.warn(
                        f"Gradient descent reached max_iter={self.max_iter} "
                        f"before the {monitored} went n_iter_no_change="
                        f"{self.n_iter_no_change} epochs without improving by "
                        f"tol={self.tol or 0}.",
                        ConvergenceWarning,
                        stacklevel=5,
                    )
            if validation is not None:
                trainer.restore(monitor.best_snapshot)
            trainer.finish()
            # The last update is not followed by a cost: check it here.
            parameters = trainer.coefs, trainer.intercepts, trainer.activations
            if _dask.is_dask_collection(X):
                final = _dask.cost(X, y, sample_weight, *parameters)
            else:
                logit = predict_logit(X, *parameters)
                final = compute_cost(logit[:, np.newaxis], y, sample_weight, [], 0.0)
        if not np.isfinite(final):
            raise ValueError(
                self._diverged("the last update made the cost non-finite", epoch)
            )
        if validation is not None:
            history["best_validation_loss_"] = monitor.best
        callback_ctx.call_on_fit_task_end(
            estimator=self, reconstruction_attributes=fitted_state, **seen
        )

    def _epoch(self, trainer, X, y, sample_weight, learning_rate, rng):
        """One pass over the data: full batch, or mini-batches (shuffled each
        epoch when ``shuffle``). Returns the epoch's cost, the weighted mean
        of the batch costs (each before its update), and the update count."""
        if self.batch_size is None:
            cost = trainer.forward_cost(X, y, sample_weight)
            trainer.backward_update(learning_rate)
            return cost, 1
        # A dask array is streamed block by block, shuffled within each block.
        parts = (
            _dask.stream_blocks(X, y, sample_weight)
            if _dask.is_dask_collection(X)
            else [(X, y, sample_weight)]
        )
        total, n_updates = 0.0, 0
        for X_part, y_part, sw_part in parts:
            m = X_part.shape[0]
            order = rng.permutation(m) if self.shuffle else np.arange(m)
            for batch in gen_batches(m, self.batch_size):
                rows = order[batch]
                weights = sw_part[rows]
                batch_weight = weights.sum()
                if not batch_weight > 0:
                    continue  # nothing to learn from this batch
                total += batch_weight * trainer.forward_cost(
                    X_part[rows], y_part[rows], weights
                )
                trainer.backward_update(learning_rate)
                n_updates += 1
        return total / sample_weight.sum(), n_updates

    def _validate(self, trainer, validation, history):
        """Record the validation loss (cross-entropy, no L2 term) and accuracy
        of the current parameters; return the loss."""
        X_val, y_val, sw_val = validation
        logit = trainer.logit(X_val)
        loss = compute_cost(logit[:, np.newaxis], y_val, sw_val, [], 0.0)
        accuracy = np.average((logit > 0) == (y_val == 1), weights=sw_val)
        history["validation_loss_curve_"].append(loss)
        history["validation_scores_"].append(float(accuracy))
        return loss

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
        X : array-like or dask array of shape (n_samples, n_features)
            Samples, one per row. For a ``dask.array`` the result is a lazy
            dask array, computed block by block.

        Returns
        -------
        logit : ndarray of shape (n_samples,)
            ``log(p / (1 - p))`` with ``p`` the probability of ``classes_[1]``.
        """
        X = self._validate_for_predict(X)
        activation = self._hidden_activations(len(self.coefs_) - 1)
        if _dask.is_dask_collection(X):
            return _dask.map_logit(X, self.coefs_, self.intercepts_, activation)
        n_rows = _chunk_n_rows(X.dtype.itemsize * sum(b.size for b in self.intercepts_))
        if X.shape[0] <= n_rows:
            return predict_logit(X, self.coefs_, self.intercepts_, activation)
        logit = np.empty(X.shape[0], dtype=np.result_type(X, self.coefs_[0]))
        for rows in gen_batches(X.shape[0], n_rows):
            logit[rows] = predict_logit(
                X[rows], self.coefs_, self.intercepts_, activation
            )
        return logit

    def _validate_for_predict(self, X):
        """``validate_data`` for prediction, with a fast path for what most
        calls pass: a float ndarray of the right width, fitted without feature
        names, all finite. Its cost dominates the latency of small batches;
        anything else goes through ``validate_data`` and its messages."""
        if not hasattr(self, "coefs_"):
            check_is_fitted(self)
        if (
            type(X) is np.ndarray
            and X.ndim == 2
            and X.dtype in FLOAT_DTYPES
            and X.shape[1] == self.n_features_in_
            and X.shape[0] > 0
            and not hasattr(self, "feature_names_in_")
            and (get_config()["assume_finite"] or np.isfinite(X.sum()))
        ):
            return X
        if _dask.is_dask_collection(X):
            return _dask.check_array(self, X, reset=False, float_dtypes=FLOAT_DTYPES)
        return validate_data(self, X, dtype=FLOAT_DTYPES, reset=False)

    def predict_proba(self, X):
        """Probability of each class, ``[1 - A[L], A[L]]``.

        Parameters
        ----------
        X : array-like or dask array of shape (n_samples, n_features)
            Samples, one per row. For a ``dask.array`` the result is a lazy
            dask array, computed block by block.

        Returns
        -------
        proba : ndarray of shape (n_samples, 2)
            Columns follow ``classes_``.
        """
        z = self.decision_function(X)
        if _dask.is_dask_collection(z):
            return _dask.map_rows(z, _proba, n_columns=2)
        return _proba(z)

    def predict_log_proba(self, X):
        """Log of :meth:`predict_proba`, computed stably from the logit.

        Parameters
        ----------
        X : array-like or dask array of shape (n_samples, n_features)
            Samples, one per row. For a ``dask.array`` the result is a lazy
            dask array, computed block by block.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, 2)
            Log-probabilities; columns follow ``classes_``.
        """
        z = self.decision_function(X)
        if _dask.is_dask_collection(z):
            return _dask.map_rows(z, _log_proba, n_columns=2)
        return _log_proba(z)

    def predict(self, X):
        """Predicted class: ``classes_[1]`` where ``A[L] > 0.5``.

        Parameters
        ----------
        X : array-like or dask array of shape (n_samples, n_features)
            Samples, one per row. For a ``dask.array`` the result is a lazy
            dask array, computed block by block.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Predicted labels, from ``classes_``.
        """
        z = self.decision_function(X)
        if _dask.is_dask_collection(z):
            return _dask.map_rows(z, _labels, self.classes_, dtype=self.classes_.dtype)
        return _labels(z, self.classes_)

    @property
    def parameters_(self):
        """The course's ``parameters`` dict, in the course's orientation.

        ``W1`` of shape ``(n_1, n_0)``, ``b1`` of shape ``(n_1, 1)``, ...
        (copies).
        """
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


def _proba(z):
    """``[1 - sigmoid(z), sigmoid(z)]`` from the logit ``z``."""
    return np.column_stack([sigmoid(-z), sigmoid(z)])


def _log_proba(z):
    """``log`` of :func:`_proba`, computed stably."""
    return np.column_stack([log_sigmoid(-z), log_sigmoid(z)])


def _labels(z, classes):
    """``classes[1]`` where ``z > 0``, else ``classes[0]``."""
    return classes[(z > 0).astype(np.intp)]


def _chunk_n_rows(row_bytes):
    """Rows to predict at once so that the activations of one chunk fit in
    scikit-learn's ``working_memory`` (``sklearn.set_config``, in MiB)."""
    working_memory = get_config()["working_memory"]
    return max(1, int(working_memory * 2**20 // max(row_bytes, 1)))


def _binary_classes(y):
    """The two class labels of ``y``, sorted; an error names anything else."""
    classes = np.unique(y)
    y_type = type_of_target(y, input_name="y")
    if y_type != "binary" or classes.shape[0] != 2:
        n = classes.shape[0]
        raise ValueError(
            f"Only binary classification is supported; y has {n} "
            f"class{'es' if n != 1 else ''} (type of target: {y_type}). For more "
            "than two classes wrap the estimator in "
            "sklearn.multiclass.OneVsRestClassifier."
        )
    return classes


#: What a fit records over the epochs, with its value before the first epoch.
_HISTORY = {
    "loss_curve_": [],
    "validation_loss_curve_": [],
    "validation_scores_": [],
    "n_iter_": 0,
    "t_": 0,
}


class _Monitor:
    """Stopping rule: ``n_iter_no_change`` epochs in a row without improving
    the best monitored loss by at least ``tol``; keeps a snapshot of the best
    parameters when asked to (early stopping)."""

    def __init__(self, tol, n_iter_no_change, keep_best):
        self.tol = tol or 0.0
        self.patience = n_iter_no_change
        self.keep_best = keep_best
        self.active = tol is not None or keep_best
        self.best = np.inf
        self.best_snapshot = None
        self.no_improvement = 0
        self.converged = False

    def record(self, loss, trainer):
        improved = loss < self.best - self.tol
        if loss < self.best:
            self.best = loss
            if self.keep_best:
                self.best_snapshot = trainer.snapshot()
        self.no_improvement = 0 if improved else self.no_improvement + 1
        self.converged = self.active and self.no_improvement >= self.patience
