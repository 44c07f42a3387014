"""What the regressor adds to the shared network: real-valued targets, the
squared-error heads (``identity``, ``relu``) and ``predict``."""

import numpy as np
from sklearn.base import RegressorMixin, _fit_context
from sklearn.metrics import r2_score
from sklearn.utils._param_validation import StrOptions

from ._base import BaseNetwork, Target
from ._callbacks import with_callbacks
from .heads import HEADS


def _regression_target(head, n_outputs):
    def encode(y, dtype):
        return np.asarray(y, dtype=dtype)

    return Target(head, n_outputs, encode, {})


class RegressorNetwork(RegressorMixin, BaseNetwork):
    """A network whose outputs are the predicted values. Not for direct use:
    see :class:`DeepRegressor`."""

    _parameter_constraints: dict = {
        **BaseNetwork._parameter_constraints,
        "out_activation": [StrOptions({"identity", "relu"})],
    }

    @with_callbacks
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None):
        """One epoch over ``(X, y)``, continuing from the current parameters.

        The first call initialises the network; later calls keep counting
        ``n_iter_`` and ``loss_curve_`` and keep the optimiser's state.

        Parameters
        ----------
        X : array-like or dask array of shape (n_samples, n_features)
            Training data of this call.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Target values of this call.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights, as in :meth:`fit`.

        Returns
        -------
        self : object
            The estimator, trained one more epoch.
        """
        return self._fit(X, y, sample_weight, incremental=True)

    def _check_target(self, y, classes, continuing, incremental):
        """One output per column of ``y``, the head of ``out_activation``."""
        n_outputs = 1 if y.ndim == 1 else y.shape[1]
        if continuing and n_outputs != self.n_outputs_:
            raise ValueError(
                f"y has {n_outputs} outputs; the previous fit had {self.n_outputs_}."
            )
        return _regression_target(self.out_activation, n_outputs)

    def _validation_score(self, logit, Y, sample_weight, head):
        """R² of the predictions on the validation rows."""
        A = HEADS[head].activation(logit if logit.ndim == 2 else logit[:, np.newaxis])
        Y = Y if Y.ndim == 2 else Y[:, np.newaxis]
        return float(r2_score(Y, A, sample_weight=sample_weight))

    def predict(self, X):
        """Predicted values ``A[L]``.

        Parameters
        ----------
        X : array-like or dask array of shape (n_samples, n_features)
            Samples, one per row. For a ``dask.array`` the result is a lazy
            dask array, computed block by block.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, `n_outputs_`)
            One column per output, 1-D for a single output.
        """
        self._check_fitted()
        n_columns = None if self.n_outputs_ == 1 else self.n_outputs_
        return self._predict(X, _values, self.out_activation_, n_columns=n_columns)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags


def _values(z, head):
    """``A[L] = g(Z[L])`` of the head, in the shape of ``z``."""
    if z.ndim == 1:
        return HEADS[head].activation(z[:, np.newaxis]).ravel()
    return HEADS[head].activation(z)
