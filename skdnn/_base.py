"""The estimator both public classes share: validation, the training loop
(the course's step 6) and prediction (step 7).

``DeepBinaryClassifier`` and ``LogisticRegressionGD`` only say which layers
the network has and which activation its hidden layers use; everything else is
here, over the functions of :mod:`skdnn._engine`.
"""

import copy
import signal
import threading
from contextlib import ExitStack, contextmanager
from numbers import Integral, Real
from typing import NamedTuple

import numpy as np
from sklearn import get_config
from sklearn.base import BaseEstimator, _fit_context, is_classifier
from sklearn.model_selection import train_test_split
from sklearn.utils import assert_all_finite, check_random_state, gen_batches
from sklearn.utils._param_validation import Interval, Options, StrOptions
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
from ._rows import chunk_threads
from ._solvers import OPTIMIZERS
from ._trainers import (
    BatchObjective,
    GradientTrainer,
    LbfgsTrainer,
    PackedParameters,
    SampleSpaceTrainer,
    TrainingSet,
    choose_space,
)
from ._warnings import warn_convergence
from .heads import HEADS
from .initializers import initialize_parameters


class Target(NamedTuple):
    """What a fit learns to predict: its head, the width of the output
    layer, how ``y`` becomes the float ``Y`` of the engine and the fitted
    attributes that describe it."""

    head: str
    n_outputs: int
    encode: object  # encode(y, dtype) -> ndarray (m,) or (m, k)
    attributes: dict


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


class BaseNetwork(CallbackSupportMixin, BaseEstimator):
    """The network ``[LINEAR -> g] x (L-1) -> LINEAR -> head``, its fit loop and
    prediction. Not for direct use: the classifiers and the regressor say
    which target they learn (``_check_target``) and how early stopping
    scores it (``_validation_score``)."""

    _parameter_constraints: dict = {
        "solver": [StrOptions({*OPTIMIZERS, "lbfgs"})],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "learning_rate_decay": [Interval(Real, 0, None, closed="left")],
        "max_iter": [_checks.IntervalNotBool(Integral, 1, None, closed="left")],
        "batch_size": [
            _checks.IntervalNotBool(Integral, 1, None, closed="left"),
            StrOptions({"auto"}),
            None,
        ],
        "shuffle": ["boolean"],
        "momentum": [Interval(Real, 0, 1, closed="left")],
        "nesterovs_momentum": ["boolean"],
        "max_fun": [Interval(Integral, 1, None, closed="left")],
        "beta_1": [Interval(Real, 0, 1, closed="left")],
        "beta_2": [Interval(Real, 0, 1, closed="left")],
        "epsilon": [Interval(Real, 0, None, closed="neither")],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "init": [StrOptions({"xavier", "he", "random", "zeros"})],
        "tol": [Interval(Real, 0, None, closed="left"), None],
        "n_iter_no_change": [
            _checks.IntervalNotBool(Integral, 1, None, closed="left"),
            Options(Real, {np.inf}),
        ],
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

    def _check_target(self, y, classes, continuing, incremental):
        """The target of this fit (head, outputs, encoding, attributes)."""
        raise NotImplementedError

    def _apply_class_weights(self, sample_weight, y, incremental, target):
        """``sample_weight`` times each sample's class weight, if any."""
        return sample_weight

    def _stratify(self, y):
        """What early stopping's split keeps the shares of, or None."""
        return None

    def _check_validation_target(self, y_val, target):
        """Refuse a ``y_val`` that the fit's target cannot score (the
        classifiers: labels that are not among its classes)."""

    def _apply_validation_class_weights(self, sample_weight_val, y, y_val):
        """``sample_weight_val`` times each validation row's class weight, if
        any, computed as for the training target ``y``."""
        return sample_weight_val

    def _check_ending(self, state, Z_L):
        """Warn with ``ConvergenceWarning`` when a ``tol=None`` fit ran all its
        ``max_iter`` epochs while the cost was still falling steeply (see
        :func:`end_slope`); the classifiers also judge the final logits
        ``Z_L`` (a constant predictor). Not for ``partial_fit``, lbfgs (which
        warns itself) or early stopping (the validation loss stops it)."""
        if (
            self.tol is not None
            or self.solver == "lbfgs"
            or state.validation is not None
            or not _ran_its_course(state)
        ):
            return
        curve = state.history["loss_curve_"][state.epochs[0] :]
        ratio = end_slope(curve)
        if ratio is None or ratio < STILL_FALLING:
            return
        window = _end_window(len(curve))
        drop = curve[-1 - window] - curve[-1]
        unit = "iterations" if state.data.full_batch else "epochs"
        warn_convergence(
            f"The cost was still falling when max_iter={self.max_iter} stopped "
            f"the fit (tol=None): over the last {window} {unit} it fell by "
            f"{drop:.4g} to {curve[-1]:.4g}, at {ratio:.0%} of its average rate "
            f"over the fit. Raise max_iter or learning_rate, or use "
            "solver='adam' or 'lbfgs' with early_stopping=True (or a tol, "
            "to stop when it levels off)."
        )

    def _validation_score(self, logit, Y, sample_weight, head):
        """The score recorded in ``validation_scores_`` (``head``: the
        output layer of the fit)."""
        raise NotImplementedError

    # -- fit -------------------------------------------------------------------

    @with_callbacks
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(
        self,
        X,
        y,
        sample_weight=None,
        *,
        X_val=None,
        y_val=None,
        sample_weight_val=None,
    ):
        """Fit the network by gradient descent.

        By default this is the course's full-batch gradient descent, for
        ``max_iter`` iterations. With ``early_stopping=True``, training is
        watched on a validation set: ``validation_fraction`` of ``X`` held
        out, or ``X_val`` and ``y_val`` when given (every row of ``X`` is then
        trained on), as in ``HistGradientBoostingClassifier.fit``.

        Parameters
        ----------
        X : array-like or dask array of shape (n_samples, n_features)
            Training data. float32 data is trained in float32, anything else
            in float64. A ``dask.array`` is not loaded: each iteration sums
            the cost and gradients of its row blocks where they are (see
            "Beyond one machine" in the documentation).
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Target: class labels (a 0/1 indicator matrix for multilabel
            targets) for the classifiers, values for the regressor.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights; ``None`` gives every sample weight 1, which
            is the course's cost. Multiplied by ``class_weight`` if any.
        X_val : array-like or dask array of shape (n_val, n_features), \
                default=None
            Validation data for early stopping, instead of holding out
            ``validation_fraction`` of ``X`` (which is then ignored): after
            every epoch its loss goes into ``validation_loss_curve_`` and its
            score into ``validation_scores_``, and the parameters of the
            lowest loss are kept. Needs ``y_val`` and ``early_stopping=True``.
            It must have the features of ``X`` (and its feature names, if
            ``X`` has them); it is computed in the dtype of the fit (float32
            for float32 ``X``). A ``dask.array`` is computed into memory
            once, also when ``X`` is a dask array (early stopping on a dask
            ``X`` needs ``X_val``). In a ``Pipeline``, ``X_val`` is
            transformed by the steps before the network with
            ``Pipeline(..., transform_input=["X_val"])`` and
            ``set_fit_request(X_val=True, y_val=True)`` (metadata routing).
        y_val : array-like of shape (n_val,) or (n_val, n_outputs), \
                default=None
            Target of ``X_val``, shaped as ``y``; for the classifiers, labels
            among those of ``y``.
        sample_weight_val : array-like of shape (n_val,), default=None
            Non-negative weights of the validation loss and score; needs
            ``X_val``. ``None`` gives every row weight 1. Multiplied by
            ``class_weight`` if any (``"balanced"``: the class shares of
            ``y``).

        Returns
        -------
        self : object
            The fitted estimator.
        """
        validation = (X_val, y_val, sample_weight_val)
        return self._fit(X, y, sample_weight, incremental=False, validation=validation)

    def _fit(self, X, y, sample_weight, incremental, classes=None, validation=None):
        """Validate, start the fit's state, make its trainer, run the loop,
        store what it learned. A failure leaves the estimator as it was.
        ``validation``: ``fit``'s ``(X_val, y_val, sample_weight_val)``."""
        validation = validation or (None, None, None)
        with _unchanged_on_error(self):
            state = self._start(X, y, sample_weight, incremental, classes, validation)
            with ExitStack() as resources:
                trainer = self._make_trainer(state, resources)
                self._train(state, trainer)
        self._store(state)
        if state.interrupted:
            raise KeyboardInterrupt
        return self

    # -- the fit's steps ------------------------------------------------------------

    def _start(self, X, y, sample_weight, incremental, classes, validation):
        """Step 1 (initialise) and everything a fit needs before its first
        epoch, as one :class:`_FitState`; checks every input first."""
        self._check_solver_options(incremental)
        continuing = hasattr(self, "coefs_") and (incremental or self.warm_start)
        blockwise = _dask.is_dask_collection(X)  # the one place that asks
        X, y, sample_weight = self._validate_training_data(
            X, y, sample_weight, blockwise, reset=not continuing
        )
        target = self._check_target(y, classes, continuing, incremental)
        metadata = None if sample_weight is None else {}
        sample_weight = self._sample_weight(sample_weight, X, y, incremental, target)
        validation = self._validate_validation_set(
            validation, X, y, target, continuing, blockwise
        )
        hidden = self._hidden_layer_sizes()
        activations = self._hidden_activations(len(hidden))
        keep_probs = [1 - rate for rate in self._dropout_rates(len(hidden))]
        rng = self._fit_rng(incremental, continuing)
        layer_sizes = [X.shape[1], *hidden, target.n_outputs]
        _checks.check_before_training(
            self,
            X,
            y,
            sample_weight,
            layer_sizes,
            continuing,
            incremental,
            batch_rows=self._batch_rows(X.shape[0]),
            stratified=self._stratify(y) is not None,
            held_out=validation is not None,
        )
        coefs, intercepts, history = self._initial_parameters(
            layer_sizes, continuing, rng, X.dtype
        )
        dtype = coefs[0].dtype
        X = X.astype(dtype, copy=False)
        labels, y = y, target.encode(y, dtype)
        state = _FitState(
            blockwise=blockwise,
            target=target,
            params=PackedParameters(coefs, intercepts, dtype),
            activations=activations,
            keep_probs=keep_probs,
            rng=rng,
            history=history,
            incremental=incremental,
        )
        self._split(state, X, y, labels, sample_weight, metadata, validation)
        if not continuing:
            self._start_output_bias(state)
        state.optimizer = self._make_optimizer(state, continuing)
        n_epochs = 1 if incremental else self.max_iter
        state.epochs = range(history["n_iter_"], history["n_iter_"] + n_epochs)
        return state

    @staticmethod
    def _start_output_bias(state):
        """The output head's starting bias, if it has one (relu: the target's
        mean), from the rows trained on: early stopping's held-out rows do
        not leak into it."""
        start_bias = HEADS[state.target.head].start_bias
        if start_bias is not None:
            y, sample_weight = state.data.y, state.data.sample_weight
            bias = start_bias(y.reshape(len(y), -1), sample_weight)
            state.params.intercepts[-1][...] = bias

    def _check_solver_options(self, incremental):
        """What the solver cannot do, refused before any work: partial_fit
        with early stopping or L-BFGS (as in MLPClassifier), L-BFGS with
        dropout."""
        if incremental and self.early_stopping:
            raise ValueError(
                "partial_fit does not support early_stopping=True (as in "
                "MLPClassifier): use fit, which holds out validation_fraction "
                "or takes a validation set as X_val and y_val."
            )
        if incremental and self.solver == "lbfgs":
            raise ValueError(
                "partial_fit needs a stochastic solver (as in MLPClassifier); "
                "solver='lbfgs' is not: use solver='adam' or 'sgd', or fit."
            )
        rates = self._dropout_rates(len(self._hidden_layer_sizes()))
        if self.solver == "lbfgs" and any(rate > 0 for rate in rates):
            raise ValueError(
                "dropout makes the cost random, and solver='lbfgs' needs the "
                "same cost at every evaluation: use solver='adam' or 'sgd' with "
                "dropout, or dropout=0."
            )

    def _initial_parameters(self, layer_sizes, continuing, rng, dtype):
        """Course step 1, ``(coefs, intercepts, history)``: drawn by ``init``,
        or copies of the fitted ones with their history (warm start,
        partial_fit)."""
        if continuing:
            coefs, intercepts = self._continued_parameters(layer_sizes)
            history = {
                name: copy.copy(getattr(self, name, None) or empty)
                for name, empty in _HISTORY.items()
            }
            return coefs, intercepts, history
        coefs, intercepts = initialize_parameters(
            layer_sizes, self.init, rng, dtype=dtype
        )
        return coefs, intercepts, copy.deepcopy(_HISTORY)

    def _validate_training_data(self, X, y, sample_weight, blockwise, reset):
        """``validate_data`` for ``X`` and ``y``; a dask ``X`` is left where it
        is, its ``y`` and ``sample_weight`` are brought into memory."""
        if blockwise:
            X, y = self._validate_dask(X, y, reset=reset)
            return X, y, _dask.to_numpy(sample_weight)
        X, y = validate_data(
            self,
            X,
            y,
            dtype=FLOAT_DTYPES,
            y_numeric=not is_classifier(self),
            multi_output=True,
            reset=reset,
        )
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)  # a column vector, as in MLPClassifier
        return X, y, sample_weight

    def _validate_validation_set(self, validation, X, y, target, continuing, blockwise):
        """``fit``'s ``(X_val, y_val, sample_weight_val)``, checked against the
        validated ``X`` and ``y`` of the fit, in the fit's dtype (that of
        ``X``, or of the fitted parameters when continuing) and weighted by
        ``class_weight``; None without ``X_val``. Dask arrays are computed
        into memory: the loss of the validation set is computed after every
        epoch. The labels stay labels (``_split`` encodes them)."""
        self._check_validation_options(validation, blockwise)
        X_val, y_val, sw_val = (_dask.in_memory(values) for values in validation)
        if X_val is None:
            return None
        dtype = self.coefs_[0].dtype if continuing else X.dtype
        names = getattr(self, "feature_names_in_", None)
        X_val = _checks.check_validation_X(X_val, X.shape[1], names, dtype)
        numeric = not is_classifier(self)
        y_val = _checks.check_validation_y(y_val, y, X_val.shape[0], numeric)
        self._check_validation_target(y_val, target)
        sw_val = _checks.check_validation_weight(sw_val, X_val.shape[0], dtype)
        sw_val = self._apply_validation_class_weights(sw_val, y, y_val)
        _checks.check_validation_weight_sum(sw_val)
        return X_val, y_val, sw_val

    def _check_validation_options(self, validation, blockwise):
        """``fit``'s validation set goes with ``early_stopping=True`` (the
        rules of ``HistGradientBoostingClassifier``), and early stopping on
        a dask array needs it: its rows are not split off in memory."""
        X_val, y_val, sw_val = validation
        _checks.check_validation_options(X_val, y_val, sw_val, self.early_stopping)
        if blockwise and self.early_stopping and X_val is None:
            raise ValueError(
                "early_stopping=True is not available when X is a dask array "
                "without a validation set: pass one, fit(X, y, X_val=..., "
                "y_val=...), or load X into memory."
            )

    def _fit_rng(self, incremental, continuing):
        """The fit's random numbers: ``partial_fit`` goes on drawing where the
        last call stopped; anything else starts from ``random_state``."""
        if incremental and continuing and hasattr(self, "_rng_state"):
            rng = np.random.RandomState()
            rng.set_state(self._rng_state)
            return rng
        return check_random_state(self.random_state)

    def _split(self, state, X, y, labels, sample_weight, metadata, validation):
        """``state.data`` (what is trained on) and, with ``early_stopping``,
        ``state.validation``: ``fit``'s validation set when given (checked,
        its labels still to encode; every row of ``X`` is trained on), else a
        stratified split drawn from ``random_state``. An int ``random_state``
        gives the same split on every fit, so a warm start validates on the
        rows held out before."""
        if validation is not None:
            X_val, labels_val, sw_val = validation
            y_val = state.target.encode(labels_val, X.dtype)
            state.validation = (X_val, y_val, sw_val)
        elif self.early_stopping and not state.incremental:
            seed = self.random_state
            if not isinstance(seed, Integral):
                seed = state.rng
            X, X_val, y, y_val, labels, _, sample_weight, sw_val = train_test_split(
                X,
                y,
                labels,
                sample_weight,
                test_size=self.validation_fraction,
                stratify=self._stratify(labels),
                random_state=seed,
            )
            _checks.check_split_weights(sample_weight, sw_val, self.validation_fraction)
            state.validation = (X_val, y_val, sw_val)
        if metadata is not None:
            metadata["sample_weight"] = sample_weight
        state.seen = {"X": X, "y": labels, "metadata": metadata}
        full = self.solver == "lbfgs" or self.batch_size is None
        batch_size = None if full else self._batch_rows(X.shape[0])
        data_class = _dask.TrainingSet if state.blockwise else TrainingSet
        state.data = data_class(
            X, y, sample_weight, batch_size, self.shuffle, state.rng
        )

    def _batch_rows(self, n_samples):
        """Rows per update: ``batch_size``, MLPClassifier's ``"auto"``
        (``min(200, n_samples)``), or all of them (``None``, and always for
        L-BFGS, which MLPClassifier's ``batch_size`` does not affect
        either)."""
        if self.solver == "lbfgs" or self.batch_size is None:
            return n_samples
        if self.batch_size == "auto":
            return min(200, n_samples)
        return min(self.batch_size, n_samples)

    def _make_optimizer(self, state, continuing):
        """The optimiser of ``solver`` over ``theta``, or the one of the last
        ``partial_fit`` to go on with (a model loaded from a file has none)."""
        if self.solver == "lbfgs":
            return None
        if state.incremental and continuing and hasattr(self, "_optimizer"):
            optimizer = copy.deepcopy(self._optimizer)
            optimizer.learning_rate_init = self.learning_rate
            optimizer.decay = self.learning_rate_decay
            return optimizer
        theta = state.params.theta
        return OPTIMIZERS[self.solver](
            theta.size,
            theta.dtype,
            self.learning_rate,
            decay=self.learning_rate_decay,
            momentum=self.momentum,
            nesterovs_momentum=self.nesterovs_momentum,
            beta_1=self.beta_1,
            beta_2=self.beta_2,
            epsilon=self.epsilon,
        )

    def _make_trainer(self, state, resources):
        """The one place that decides how this fit trains: L-BFGS, the sample
        space (plain full-batch gradient descent, when exact and cheaper), or
        an optimiser in the feature space; full batches of a dask array sum
        their cost and gradients over its blocks, and big batches in memory
        run in chunks of rows on the fit's cores (:mod:`skdnn._rows`).
        ``resources`` frees the buffers and the threads when the fit ends."""
        data, params, activations = state.data, state.params, state.activations
        head = state.target.head
        if not state.blockwise:
            resources.enter_context(blas_thread_limit())
        if self._use_sample_space(state):
            return SampleSpaceTrainer(
                data.X, params, state.optimizer, activations, self.alpha, head
            )
        if state.blockwise and data.full_batch:
            objective = _dask.BlockwiseObjective(
                data, params, activations, self.alpha, state.keep_probs, state.rng, head
            )
        else:
            threads = resources.enter_context(
                chunk_threads(data.max_rows(), params.coefs)
            )
            objective = BatchObjective(
                params,
                activations,
                self.alpha,
                state.keep_probs,
                state.rng,
                data.max_rows(),
                head,
                threads,
            )
        resources.callback(objective.close)
        if self.solver == "lbfgs":
            gtol = 0.0 if self.tol is None else self.tol
            return LbfgsTrainer(params, objective, activations, self.max_fun, gtol)
        return GradientTrainer(params, objective, state.optimizer, activations)

    def _train(self, state, trainer):
        """Course step 6: epochs of forward, cost, backward, update, until
        ``max_iter`` epochs (one for ``partial_fit``), convergence (``tol``,
        ``early_stopping``), a callback or Ctrl-C."""
        lbfgs = self.solver == "lbfgs"
        monitor = _Monitor(
            None if lbfgs else self.tol,
            self.n_iter_no_change,
            state.validation is not None,
        )
        callbacks = _FitCallbacks(self, state, trainer, len(state.epochs))
        divergence = _DivergenceGuard(self, state)
        with _deferred_interrupt() as interrupted, np.errstate(all="ignore"):

            def on_epoch(cost, start_cost=None):
                """After every epoch: record, validate, monitor; true to stop.
                ``start_cost`` is the cost of the first batch of the fit, before
                any update (mini-batches only)."""
                divergence.check(cost, start_cost)
                self._record(state, cost)
                monitored = cost
                if state.validation is not None:
                    monitored = self._validate(trainer, state)
                monitor.record(monitored, trainer)
                stop = callbacks.epoch_end()
                state.interrupted = interrupted.is_set()
                return stop or monitor.converged or state.interrupted

            trainer.run(state.data, state.epochs, on_epoch)
            self._end_training(state, trainer, monitor)
            final_cost, Z_L = trainer.final(state.data)
            divergence.check_final(final_cost)
            if not state.incremental:
                self._check_ending(state, Z_L)
        callbacks.fit_end()

    def _record(self, state, cost):
        """Append the epoch's cost to the history (and print it with
        ``verbose``)."""
        history = state.history
        epoch = history["n_iter_"]
        history["loss_curve_"].append(cost)
        history["n_iter_"] += 1
        history["t_"] += state.data.n_samples
        if self.verbose and (epoch % 100 == 0 or epoch == state.epochs[-1]):
            unit = "iteration" if state.data.full_batch else "epoch"
            print(f"Cost after {unit} {epoch}: {cost:f}")

    def _end_training(self, state, trainer, monitor):
        """Say how the loop ended, keep the best parameters of early stopping,
        and leave the final ones in ``state.params``."""
        if state.interrupted:
            warn_convergence(
                f"Training interrupted by Ctrl-C after iteration "
                f"{state.history['n_iter_']}; the estimator keeps the parameters "
                "of that iteration, and the KeyboardInterrupt goes on to the "
                "caller."
            )
        elif (
            monitor.active
            and not monitor.converged
            and self.solver != "lbfgs"
            and _ran_its_course(state)
            and len(state.epochs) > 1
        ):
            monitored = "validation loss" if state.validation else "cost"
            warn_convergence(
                f"solver={self.solver!r} reached max_iter={self.max_iter} before the "
                f"{monitored} went n_iter_no_change={self.n_iter_no_change} epochs "
                f"without improving by tol={self.tol or 0}."
            )
        if state.validation is not None:
            trainer.restore(monitor.best_snapshot)
            state.history["best_validation_loss_"] = monitor.best
        trainer.finish()

    def _store(self, state):
        """Set the fitted attributes from the fit's state: ordinary arrays,
        not views of the fit's buffer."""
        for name, value in state.target.attributes.items():
            setattr(self, name, value)
        self.coefs_, self.intercepts_ = state.params.copies()
        for name, value in state.history.items():
            setattr(self, name, value)
        if "best_validation_loss_" not in state.history:
            vars(self).pop("best_validation_loss_", None)  # of an earlier fit
        self.n_layers_ = len(self.coefs_) + 1
        self.n_outputs_ = state.target.n_outputs
        self.out_activation_ = state.target.head
        self._summarize_history()
        if state.optimizer is not None:
            self._optimizer = state.optimizer
        elif hasattr(self, "_optimizer"):
            del self._optimizer
        self._rng_state = state.rng.get_state(legacy=False)

    def _summarize_history(self):
        """MLPClassifier's summaries of the history: ``loss_``, ``best_loss_``
        (None with early stopping), ``best_validation_score_`` (the score of
        the kept parameters, those of the lowest validation loss) and
        ``validation_scores_`` (None without early stopping)."""
        curve = self.loss_curve_
        self.loss_ = curve[-1] if curve else None
        validation = getattr(self, "validation_loss_curve_", None)
        stopped_early = bool(validation)
        self.best_loss_ = None if stopped_early or not curve else min(curve)
        if stopped_early:
            best = int(np.argmin(validation))
            self.best_validation_score_ = self.validation_scores_[best]
        else:
            self.validation_scores_ = None
            self.best_validation_score_ = None

    def _validate_dask(self, X, y, reset):
        """``validate_data`` for a dask array ``X`` (left where it is) and its
        target (brought into memory). Early stopping without a validation
        set has been refused (``_check_validation_options``)."""
        if self.space == "sample":
            raise ValueError(
                "space='sample' needs X in memory; X is a dask array: use "
                "space='auto' or 'feature'."
            )
        X = _dask.check_array(self, X, reset=reset, float_dtypes=FLOAT_DTYPES)
        y = np.asarray(_dask.to_numpy(y))
        if y.ndim != 2 or y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        check_consistent_length(X, y)
        assert_all_finite(y, input_name="y")  # what validate_data checks in memory
        return X, y

    def _sample_weight(self, sample_weight, X, y, incremental, target):
        """``sample_weight`` times the weight of each sample's class."""
        sample_weight = _check_sample_weight(
            sample_weight, X, dtype=X.dtype, ensure_non_negative=True
        )
        _checks.check_weight_sum(sample_weight, "sample_weight")
        sample_weight = self._apply_class_weights(sample_weight, y, incremental, target)
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
        # (the output width is checked with the target)
        layer_sizes = [*layer_sizes[:-1], fitted[-1]]
        if fitted != layer_sizes:
            raise ValueError(
                f"Cannot continue training: the network was fitted with layer "
                f"sizes {fitted} and is now asked for {layer_sizes}. Set "
                "warm_start=False or keep hidden_layer_sizes."
            )
        return [W.copy() for W in self.coefs_], [b.copy() for b in self.intercepts_]

    def _use_sample_space(self, state):
        """Whether to train in the sample space: it must be exact (plain
        full-batch gradient descent, no dropout, one X in memory) and, with
        ``space="auto"``, cheaper."""
        exact = (
            self.solver == "gd"
            and state.data.full_batch
            and not state.incremental
            and not state.blockwise
            and all(keep == 1 for keep in state.keep_probs)
        )
        if self.space == "sample" and not exact:
            raise ValueError(
                "space='sample' needs solver='gd', batch_size=None, no dropout, "
                "X in memory and fit (not partial_fit); use space='auto' or "
                "'feature'."
            )
        if self.space == "auto" and exact:
            n_first = state.params.coefs[0].shape[1]
            n_samples, n_features = state.data.X.shape
            return choose_space(n_samples, n_features, n_first, self.max_iter) == (
                "sample"
            )
        return self.space == "sample"

    def _validate(self, trainer, state):
        """Record the validation loss (no L2 term) and score (accuracy or R²)
        of the current parameters; return the loss."""
        X_val, y_val, sw_val = state.validation
        logit = trainer.logit(X_val)
        Z_L = logit if logit.ndim == 2 else logit[:, np.newaxis]
        loss = compute_cost(Z_L, y_val, sw_val, [], 0.0, head=state.target.head)
        score = self._validation_score(logit, y_val, sw_val, state.target.head)
        state.history["validation_loss_curve_"].append(loss)
        state.history["validation_scores_"].append(score)
        return loss

    def _diverged(self, what, iteration):
        return (
            f"Training (solver={self.solver!r}) diverged: {what} at iteration "
            f"{iteration}. Lower "
            f"learning_rate (now {self.learning_rate!r}) or scale the features, "
            "for example with sklearn.preprocessing.StandardScaler."
        )

    # -- predict (course step 7) ----------------------------------------------

    def _predict(self, X, transform, *args, n_columns=None, dtype=None):
        """The one place that maps prediction over ``X``: ``transform(logit,
        *args)`` of every row's logit, over the blocks of a dask array
        (lazily), else in chunks that fit in ``working_memory``. ``n_columns``
        and ``dtype`` describe what ``transform`` returns per row. The
        public methods have called :meth:`_check_fitted`."""
        network = (
            self.coefs_,
            self.intercepts_,
            self._hidden_activations(len(self.coefs_) - 1),
        )
        if _dask.is_dask_collection(X):
            X = _dask.check_array(self, X, reset=False, float_dtypes=FLOAT_DTYPES)
            dtype = dtype or np.result_type(X.dtype, self.coefs_[0])
            return _dask.map_rows(
                X, _output, network, transform, args, n_columns=n_columns, dtype=dtype
            )
        X = self._validate_for_predict(X)
        n_rows = _chunk_n_rows(X.dtype.itemsize * sum(b.size for b in self.intercepts_))
        if X.shape[0] <= n_rows:
            return _output(X, network, transform, args)
        parts = [
            _output(X[rows], network, transform, args)
            for rows in gen_batches(X.shape[0], n_rows)
        ]
        return np.concatenate(parts)

    def _check_fitted(self):
        """``check_is_fitted``, skipped when ``coefs_`` is there: its cost
        (8-18 us) is a sixth of a 1-row prediction."""
        if not hasattr(self, "coefs_"):
            check_is_fitted(self)

    def _validate_for_predict(self, X):
        """``validate_data`` for prediction, with a fast path for what most
        calls pass: a float ndarray of the right width, fitted without feature
        names, all finite. Its cost dominates the latency of small batches;
        anything else goes through ``validate_data`` and its messages."""
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
        return validate_data(self, X, dtype=FLOAT_DTYPES, reset=False)

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


def _output(X, network, transform, args):
    """``transform(logit, *args)`` of the rows of ``X`` (a chunk or a dask
    block). A logit that is not finite (an overflow, or ``inf - inf`` in a
    hidden layer, from features of the order of 1e300) raises instead of
    becoming a silent class 0 or a NaN probability."""
    logit = predict_logit(X, *network)
    bad = ~np.isfinite(logit)
    if bad.any():
        rows = np.flatnonzero(bad.any(axis=1) if bad.ndim == 2 else bad)
        raise ValueError(
            f"X is too large for this network: the activations overflow on "
            f"{rows.size} row{'s' if rows.size > 1 else ''} (row {rows[0]} first, "
            f"largest |x| {np.abs(X[rows[0]]).max():.3g}). Scale the features "
            "as they were scaled for training."
        )
    return transform(logit, *args)


def _chunk_n_rows(row_bytes):
    """Rows to predict at once so that the activations of one chunk fit in
    scikit-learn's ``working_memory`` (``sklearn.set_config``, in MiB)."""
    working_memory = get_config()["working_memory"]
    return max(1, int(working_memory * 2**20 // max(row_bytes, 1)))


#: What a fit records over the epochs, with its value before the first epoch.
_HISTORY = {
    "loss_curve_": [],
    "validation_loss_curve_": [],
    "validation_scores_": [],
    "n_iter_": 0,
    "t_": 0,
}


#: :func:`end_slope` at or above this: the cost is "still falling steeply".
#: Measured (``tol=None``, the estimators' defaults otherwise): the course's
#: cat runs end at 0.07-0.20 (L-layer, seeds 0-4: 0.01-0.17; logistic
#: regression: 0.20) and well-trained tabular fits at 0.03-0.26, while runs
#: whose learning rate is too small end at 0.45-0.97 (the course's
#: ``learning_rate=0.0001`` logistic run: 0.45).
STILL_FALLING = 0.4

#: Fits shorter than this many epochs are not judged by :func:`end_slope`:
#: its window, the last tenth, is then at least 10 epochs, long enough to
#: average out the noise of mini-batch costs.
MIN_JUDGED_EPOCHS = 100


def _end_window(n_epochs):
    """The last tenth of a fit's epochs (at least one)."""
    return max(n_epochs // 10, 1)


def end_slope(curve):
    """How fast the cost still falls at the end of a fit, as a fraction of
    its average rate over the whole fit: the mean drop per epoch over the
    last tenth of ``curve``, divided by ``(curve[0] - curve[-1]) / (n - 1)``.

    About 1 means the cost falls as fast at the end as it did on average (a
    straight line: far from any minimum); near 0, it has levelled off;
    above 1, it is speeding up (a plateau left late). None for curves
    shorter than :data:`MIN_JUDGED_EPOCHS` or that did not fall overall.
    """
    n = len(curve)
    if n < MIN_JUDGED_EPOCHS or not curve[0] > curve[-1]:
        return None
    window = _end_window(n)
    end_rate = (curve[-1 - window] - curve[-1]) / window
    return float(end_rate / ((curve[0] - curve[-1]) / (n - 1)))


def _ran_its_course(state):
    """True if the fit ran every epoch it was given (not Ctrl-C, a
    callback or convergence)."""
    n_run = state.history["n_iter_"] - state.epochs[0]
    return (
        not state.interrupted
        and not state.stopped_by_callback
        and n_run == len(state.epochs)
    )


class _FitState:
    """Everything one fit works with, made by ``_start``: the data, the
    parameters, the optimiser, the random numbers and the history that
    becomes ``loss_curve_``, ``n_iter_``, ..."""

    def __init__(self, **values):
        self.data = self.validation = self.optimizer = self.seen = None
        self.epochs = range(0)
        self.interrupted = self.stopped_by_callback = False
        vars(self).update(values)


class _FitCallbacks:
    """scikit-learn's callbacks of one fit: a context for the fit and, when
    there are callbacks, one per epoch (they cost about 0.1 ms each)."""

    def __init__(self, estimator, state, trainer, n_epochs):
        self.estimator, self.state, self.trainer = estimator, state, trainer
        self.context = estimator._init_callback_context(max_subtasks=n_epochs)
        self.context.call_on_fit_task_begin(estimator=estimator, **state.seen)
        self.per_epoch = bool(getattr(self.context, "_callbacks", True))

    def _fitted_state(self):
        coefs, intercepts = self.trainer.parameters()
        return {
            "coefs_": coefs,
            "intercepts_": intercepts,
            "n_outputs_": self.state.target.n_outputs,
            "out_activation_": self.state.target.head,
            **self.state.target.attributes,
        }

    def epoch_end(self):
        """Tell the callbacks an epoch ended; true if one asks to stop."""
        if not self.per_epoch:
            return False
        epoch = self.context.subcontext(task_name="epoch")
        epoch.call_on_fit_task_begin(estimator=self.estimator, **self.state.seen)
        stop = bool(
            epoch.call_on_fit_task_end(
                estimator=self.estimator,
                reconstruction_attributes=self._fitted_state,
                **self.state.seen,
            )
        )
        self.state.stopped_by_callback = stop
        return stop

    def fit_end(self):
        self.context.call_on_fit_task_end(
            estimator=self.estimator,
            reconstruction_attributes=self._fitted_state,
            **self.state.seen,
        )


class _DivergenceGuard:
    """Stops a fit whose cost explodes, finite or not.

    The rule: the cost of an epoch is not finite, or it is more than
    :attr:`FACTOR` times both the fit's first cost and the cost of the best
    constant predictor (the head's ``baseline``: for two classes
    ``-(p log p + (1 - p) log(1 - p))`` with ``p`` the weighted share of the
    positive class; for a regression half the variance of the target). A
    fit that learns anything stays far below: gradient descent, momentum
    and Adam at sane learning rates move the cost by a few times at most,
    even when they oscillate, while a learning rate that is too large sends
    it up by orders of magnitude
    within a few epochs (0.69 to 1e11 with ``learning_rate=1e6`` on the
    unscaled breast-cancer data). The stable log-sigmoid keeps such costs
    finite, so finiteness alone does not catch them.

    The message names ``learning_rate`` when an update caused the rise; a
    cost that is not finite before any update (huge features or weights)
    names the data instead.
    """

    FACTOR = 100.0

    def __init__(self, estimator, state):
        self.estimator, self.state = estimator, state
        data = state.data
        Y = data.y if data.y.ndim == 2 else data.y[:, np.newaxis]
        self.baseline = HEADS[state.target.head].baseline(Y, data.sample_weight)
        self.first = None

    def check(self, cost, start_cost=None):
        """Raise ``ValueError`` if the epoch's ``cost`` has diverged.
        ``start_cost``, with mini-batches, is the first batch's cost before
        any update: the reference, since a first epoch of many updates may
        already have exploded."""
        epoch = self.state.history["n_iter_"]
        if self.first is None:
            first = cost if start_cost is None else start_cost
            if not np.isfinite(first):
                raise ValueError(
                    f"The cost of the initial parameters is {first}: the features "
                    "or weights are too large to compute with. Scale the features, "
                    "for example with sklearn.preprocessing.StandardScaler."
                )
            self.first = first
            if start_cost is None:
                return
        limit = self.FACTOR * max(self.first, self.baseline)
        if not np.isfinite(cost) or cost > limit:
            raise ValueError(
                self.estimator._diverged(
                    f"the cost rose from {self.first:.4g} to {cost:.4g} (the "
                    f"constant predictor's is {self.baseline:.4g})",
                    epoch,
                )
            )

    def check_final(self, cost):
        """The last update is not followed by an epoch: the cost of the
        final parameters (``final_cost``) must be finite."""
        if not np.isfinite(cost):
            raise ValueError(
                self.estimator._diverged(
                    "the last update made the cost non-finite",
                    self.state.history["n_iter_"],
                )
            )


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
