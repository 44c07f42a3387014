"""Plotting the course's figures: the cost against the iterations.

The course draws the cost ``J`` recorded every 100 iterations of gradient
descent, with ``iterations (per hundreds)`` on the x axis and the learning
rate in the title. :class:`LossCurveDisplay` draws that figure from a fitted
estimator's ``loss_curve_``, following scikit-learn's Display API
(:class:`sklearn.metrics.RocCurveDisplay`): ``from_estimator`` plots a fitted
estimator (it fits nothing), ``plot`` draws the display again, on other axes.

matplotlib is an optional dependency (``pip install "skdnn[plot]"``). This
module imports without it; plotting raises an :class:`ImportError` that says
how to install it.
"""

import weakref
from numbers import Integral, Real

import numpy as np
from sklearn.pipeline import Pipeline
from sklearn.utils._plotting import _validate_style_kwargs
from sklearn.utils.validation import check_is_fitted

#: Title of a plot whose curves share one learning rate, as in the course.
_TITLE_PREFIX = "Learning rate = "

#: Names of the x-axis units, the course's "per hundreds".
_UNIT_NAMES = {10: "tens", 100: "hundreds", 1000: "thousands"}

#: The learning rate of each line a ``LossCurveDisplay`` drew, so that a plot
#: with several curves can tell whether they share one (weak keys: a line that
#: is removed or garbage-collected drops out).
_LEARNING_RATES = weakref.WeakKeyDictionary()


def _check_matplotlib_support(caller_name):
    """Raise an ImportError that says how to install the plot extra."""
    try:
        import matplotlib  # noqa: F401
        import matplotlib.pyplot  # noqa: F401
    except ImportError as exc:
        raise ImportError(
            f"{caller_name} requires matplotlib, an optional dependency of "
            'skdnn. Install it with: pip install "skdnn[plot]"'
        ) from exc


def _xlabel(every, unit):
    """``"iterations (per hundreds)"`` for ``every=100``, as in the course."""
    if every == 1:
        return unit
    name = _UNIT_NAMES.get(every)
    return f"{unit} (per {name})" if name else f"{unit} (in units of {every})"


def _final_estimator(estimator):
    """The estimator that holds ``loss_curve_``: the last step of a Pipeline
    (of nested Pipelines too), or ``estimator`` itself."""
    while isinstance(estimator, Pipeline):
        estimator = estimator[-1]
    return estimator


class LossCurveDisplay:
    """Loss curve visualization: the cost ``J`` during gradient descent.

    The course's figure: the cost of every ``every``-th iteration (the
    course's ``costs`` list, recorded every 100 iterations), against the
    iteration counted in units of ``every``, so that with the default
    ``every=100`` the x axis reads "iterations (per hundreds)" and the point
    at ``x = 5`` is the cost of iteration 500. ``every=1`` plots every
    iteration against the iteration number. An estimator trained on
    mini-batches records one cost per epoch; the axis then counts epochs.

    Use :meth:`from_estimator` to plot a fitted estimator's ``loss_curve_``;
    build the display directly from a list of costs otherwise. Curves drawn
    on the same axes share it: a legend names each one (``name``), and the
    title gives the learning rate while all the curves share one.

    Parameters
    ----------
    loss_curve : array-like of shape (n_iter,)
        The cost of every iteration, such as an estimator's ``loss_curve_``.
    estimator_name : str, default=None
        Name of the curve in the legend. ``None`` gives no legend entry.
    every : int, default=100
        Plot one cost every ``every`` iterations: ``loss_curve[::every]``.
    learning_rate : float, default=None
        The learning rate the curve was trained with, shown in the title as
        the course does. ``None`` gives no title.
    unit : str, default="iterations"
        What one cost of ``loss_curve`` stands for, named on the x axis:
        ``"iterations"`` of full-batch gradient descent, or ``"epochs"``
        when each cost is one pass over mini-batches.

    Attributes
    ----------
    loss_curve : ndarray of shape (n_iter,)
        The cost of every iteration, as given.
    line_ : matplotlib Line2D
        The loss curve: x data ``0, 1, ..., k`` (the iteration divided by
        ``every``), y data ``loss_curve[::every]``.
    ax_ : matplotlib Axes
        Axes with the loss curve.
    figure_ : matplotlib Figure
        Figure containing the curve.

    See Also
    --------
    LossCurveDisplay.from_estimator : Plot the loss curve of a fitted estimator.
    sklearn.metrics.RocCurveDisplay : The Display API this class follows.
    skdnn.DeepBinaryClassifier : Records ``loss_curve_`` while it trains.
    skdnn.LogisticRegressionGD : Records ``loss_curve_`` while it trains.

    Examples
    --------
    The course's learning-rate comparison, several curves on one axes:

    >>> from matplotlib.figure import Figure
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.preprocessing import StandardScaler
    >>> from skdnn import LogisticRegressionGD
    >>> from skdnn.plot import LossCurveDisplay
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> X = StandardScaler().fit_transform(X)
    >>> ax = Figure().subplots()
    >>> for learning_rate in [0.1, 0.01, 0.001]:
    ...     clf = LogisticRegressionGD(learning_rate=learning_rate, max_iter=1500)
    ...     display = LossCurveDisplay.from_estimator(
    ...         clf.fit(X, y), ax=ax, name=f"learning rate {learning_rate}"
    ...     )
    >>> len(ax.get_lines()), ax.get_xlabel(), ax.get_ylabel()
    (3, 'iterations (per hundreds)', 'cost')
    >>> [text.get_text() for text in ax.get_legend().get_texts()]
    ['learning rate 0.1', 'learning rate 0.01', 'learning rate 0.001']

    One curve from a list of costs, every iteration:

    >>> display = LossCurveDisplay(clf.loss_curve_, every=1, learning_rate=0.001)
    >>> display = display.plot(ax=Figure().subplots())
    >>> display.ax_.get_title(), len(display.line_.get_xdata())
    ('Learning rate = 0.001', 1500)
    """

    def __init__(
        self,
        loss_curve,
        *,
        estimator_name=None,
        every=100,
        learning_rate=None,
        unit="iterations",
    ):
        loss_curve = np.asarray(loss_curve, dtype=float)
        if loss_curve.ndim != 1 or loss_curve.size == 0:
            raise ValueError(
                "loss_curve must be a non-empty 1-D sequence of costs; got shape "
                f"{loss_curve.shape}."
            )
        if not isinstance(every, Integral) or isinstance(every, bool) or every < 1:
            raise ValueError(f"every must be a positive integer; got {every!r}.")
        if learning_rate is not None and not isinstance(learning_rate, Real):
            raise TypeError(
                f"learning_rate must be a number or None; got {learning_rate!r}."
            )
        self.loss_curve = loss_curve
        self.estimator_name = estimator_name
        self.every = int(every)
        self.learning_rate = learning_rate
        self.unit = unit

    def plot(self, ax=None, *, name=None, **kwargs):
        """Plot the loss curve.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to plot on. ``None`` creates a new figure and axes. Plotting
            several displays on one axes compares their curves.
        name : str, default=None
            Name of the curve in the legend; ``None`` uses ``estimator_name``.
            Without a name the curve gets no legend entry.
        **kwargs : dict
            Keyword arguments passed to matplotlib's ``plot``, such as
            ``color`` or ``linestyle``.

        Returns
        -------
        display : LossCurveDisplay
            The display, with ``line_``, ``ax_`` and ``figure_`` set.
        """
        _check_matplotlib_support(f"{type(self).__name__}.plot")
        import matplotlib.pyplot as plt
        from matplotlib.ticker import MaxNLocator

        if ax is None:
            _, ax = plt.subplots()
        name = self.estimator_name if name is None else name

        costs = self.loss_curve[:: self.every]
        style = {} if name is None else {"label": name}
        style = _validate_style_kwargs(style, kwargs)
        (self.line_,) = ax.plot(np.arange(costs.size), costs, **style)
        _LEARNING_RATES[self.line_] = self.learning_rate

        ax.set_xlabel(_xlabel(self.every, self.unit))
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_ylabel("cost")
        _update_title(ax)
        if any(not line.get_label().startswith("_") for line in ax.get_lines()):
            ax.legend()

        self.ax_ = ax
        self.figure_ = ax.figure
        return self

    @classmethod
    def from_estimator(cls, estimator, *, ax=None, name=None, every=100, **kwargs):
        """Plot the loss curve of a fitted estimator.

        Parameters
        ----------
        estimator : estimator instance
            A fitted estimator with a ``loss_curve_`` attribute, such as
            :class:`~skdnn.DeepBinaryClassifier`, or a fitted
            :class:`~sklearn.pipeline.Pipeline` whose last step has one. The
            title gives its ``learning_rate`` when that is a number, and the
            x axis counts epochs when its ``batch_size`` is not ``None``
            (mini-batches), iterations otherwise.
        ax : matplotlib Axes, default=None
            Axes to plot on. ``None`` creates a new figure and axes.
        name : str, default=None
            Name of the curve in the legend; ``None`` uses the class name of
            the estimator (of the last step of a Pipeline).
        every : int, default=100
            Plot the cost of one iteration every ``every``, the course's
            figure; ``1`` plots every iteration.
        **kwargs : dict
            Keyword arguments passed to matplotlib's ``plot``.

        Returns
        -------
        display : LossCurveDisplay
            The display, with ``line_``, ``ax_`` and ``figure_`` set.

        Raises
        ------
        sklearn.exceptions.NotFittedError
            If ``estimator`` is not fitted.
        AttributeError
            If the fitted estimator has no ``loss_curve_``.
        """
        _check_matplotlib_support(f"{cls.__name__}.from_estimator")
        check_is_fitted(estimator)
        final = _final_estimator(estimator)
        if not hasattr(final, "loss_curve_"):
            raise AttributeError(
                f"{type(final).__name__} has no loss_curve_ attribute: "
                f"{cls.__name__} plots the cost recorded by estimators trained "
                "by gradient descent, such as skdnn.DeepBinaryClassifier."
            )
        learning_rate = getattr(final, "learning_rate", None)
        if not isinstance(learning_rate, Real) or isinstance(learning_rate, bool):
            learning_rate = None  # such as MLPClassifier's "constant"
        mini_batches = getattr(final, "batch_size", None) is not None
        display = cls(
            final.loss_curve_,
            estimator_name=type(final).__name__ if name is None else name,
            every=every,
            learning_rate=learning_rate,
            unit="epochs" if mini_batches else "iterations",
        )
        return display.plot(ax=ax, **kwargs)


def _update_title(ax):
    """Title the axes ``Learning rate = ...`` while all its loss curves share
    one learning rate; otherwise remove that title (the legend tells the
    curves apart). A title set by the user is left alone."""
    title = ax.get_title()
    if title and not title.startswith(_TITLE_PREFIX):
        return
    rates = {
        _LEARNING_RATES[line] for line in ax.get_lines() if line in _LEARNING_RATES
    }
    if len(rates) == 1 and None not in rates:
        ax.set_title(f"{_TITLE_PREFIX}{rates.pop():g}")
    else:
        ax.set_title("")
