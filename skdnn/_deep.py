"""The deep estimators: ``DeepClassifier`` (any classification target),
``DeepBinaryClassifier`` (the course's L-layer network) and ``DeepRegressor``."""

from numbers import Integral, Real

from sklearn.utils._param_validation import Interval, StrOptions

from ._checks import IntervalNotBool
from ._classifier import ClassifierNetwork
from ._regressor import RegressorNetwork
from .activations import ACTIVATIONS


class HiddenLayers:
    """``hidden_layer_sizes``, ``activation`` and ``dropout``: the hidden
    layers of the deep estimators, read and checked."""

    _parameter_constraints: dict = {
        "hidden_layer_sizes": [
            "array-like",
            IntervalNotBool(Integral, 1, None, closed="left"),
        ],
        "activation": [StrOptions(set(ACTIVATIONS)), "array-like"],
        "dropout": [Interval(Real, 0, 1, closed="left"), "array-like"],
        "init": [StrOptions({"xavier", "he", "random"})],
    }

    def _hidden_layer_sizes(self):
        sizes = self.hidden_layer_sizes
        if isinstance(sizes, Integral):
            sizes = [sizes]
        sizes = list(sizes)
        if not all(
            isinstance(n, Integral) and not isinstance(n, bool) and n >= 1
            for n in sizes
        ):
            raise ValueError(
                "hidden_layer_sizes must contain positive integers; got "
                f"{self.hidden_layer_sizes!r}."
            )
        return tuple(int(n) for n in sizes)

    def _hidden_activations(self, n_hidden):
        activations = self.activation
        if isinstance(activations, str):
            activations = [activations] * n_hidden
        activations = list(activations)
        if len(activations) != n_hidden or not all(
            isinstance(a, str) and a in ACTIVATIONS for a in activations
        ):
            raise ValueError(
                "activation must be one of "
                f"{sorted(ACTIVATIONS)} or a list of them, one per hidden layer "
                f"({n_hidden}); got {self.activation!r}."
            )
        return activations

    def _dropout_rates(self, n_hidden):
        rates = self.dropout
        if isinstance(rates, Real):
            rates = [rates] * n_hidden
        rates = list(rates)
        if len(rates) != n_hidden or not all(
            isinstance(r, Real) and 0 <= r < 1 for r in rates
        ):
            raise ValueError(
                "dropout must be a rate in [0, 1) or a list of them, one per "
                f"hidden layer ({n_hidden}); got {self.dropout!r}."
            )
        return [float(r) for r in rates]


_COMMON_PARAMETERS = """
    activation : {"relu", "leaky_relu", "tanh", "sigmoid", "logistic", \
            "identity"} or list of them, default="relu"
        Activation of the hidden layers, one for all or one per hidden layer.
        ``leaky_relu`` has slope 0.01 and ``logistic`` is another name for
        ``sigmoid``.
    solver : {"adam", "sgd", "lbfgs", "gd", "momentum"}, default="adam"
        ``"adam"``, ``"sgd"`` (``v := momentum v - learning_rate dW``,
        Nesterov's by default) and ``"lbfgs"`` (scipy's L-BFGS-B, full batch)
        are MLPClassifier's; ``"gd"`` is the course's gradient descent and
        ``"momentum"`` the course's momentum (a running average).
    learning_rate : float, default=0.001
        Step size, MLPClassifier's ``learning_rate_init``.
    learning_rate_decay : float, default=0.0
        Epoch ``e`` uses ``learning_rate / (1 + learning_rate_decay * e)``.
    max_iter : int, default=200
        Most epochs (L-BFGS: iterations).
    batch_size : int, "auto" or None, default="auto"
        Rows per update: ``"auto"`` is ``min(200, n_samples)``, ``None`` the
        whole training set.
    shuffle : bool, default=True
        Reshuffle the samples every epoch (mini-batches).
    momentum : float, default=0.9
        Momentum of ``"sgd"``; ``beta`` of ``"momentum"``.
    nesterovs_momentum : bool, default=True
        Nesterov's momentum for ``"sgd"``.
    beta_1 : float, default=0.9
        Adam's decay of the first-moment estimate.
    beta_2 : float, default=0.999
        Adam's decay of the second-moment estimate.
    epsilon : float, default=1e-8
        Adam's guard against division by zero.
    max_fun : int, default=15000
        ``"lbfgs"``: most cost-and-gradient evaluations.
    alpha : float, default=0.0001
        L2 penalty: the cost gains ``alpha / (2 m) * sum ||W||^2``.
    dropout : float or array-like of float, default=0.0
        Inverted dropout: the fraction of each hidden layer's units switched
        off at every update, one value or one per hidden layer.
    init : {"xavier", "he", "random"}, default="xavier"
        Weight initialisation: ``randn / sqrt(n_prev)``,
        ``randn * sqrt(2 / n_prev)`` or ``randn * 0.01``.
"""

_CONTROL_PARAMETERS = """
    tol : float or None, default=1e-4
        Stop when the cost (the validation loss with ``early_stopping``) has
        not improved by ``tol`` for ``n_iter_no_change`` epochs, and warn if
        ``max_iter`` comes first; ``"lbfgs"`` uses it as ``gtol``. ``None``
        runs every epoch.
    n_iter_no_change : int or np.inf, default=10
        Patience of ``tol`` and ``early_stopping``.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the training data (or use the
        ``X_val``, ``y_val`` given to :meth:`fit`), record its loss and score
        every epoch, stop when the loss stops improving and keep the
        parameters of the best epoch.
    validation_fraction : float, default=0.1
        Share of the training data held out by ``early_stopping``; ignored
        when :meth:`fit` is given ``X_val``.
    warm_start : bool, default=False
        Continue from the fitted parameters on the next ``fit``.
    space : {"auto", "feature", "sample"}, default="auto"
        Where plain full-batch gradient descent keeps ``W[1]`` (see
        :class:`DeepBinaryClassifier`).
    random_state : int, RandomState instance or None, default=None
        Seed of the weight draws, the validation split, the shuffles and the
        dropout masks.
    verbose : int, default=0
        ``1`` prints ``Cost after epoch i: J`` every 100 epochs.
"""

_COMMON_ATTRIBUTES = """
    coefs_ : list of ndarray
        ``coefs_[l - 1]`` is the course's ``W[l]`` transposed, of shape
        ``(n_{l-1}, n_l)``.
    intercepts_ : list of ndarray
        ``intercepts_[l - 1]`` is the course's ``b[l]``, of shape ``(n_l,)``.
    loss_ : float
        The last entry of ``loss_curve_``.
    best_loss_ : float or None
        The lowest cost of ``loss_curve_``; None with ``early_stopping``.
    loss_curve_ : list of float
        The cost of every epoch, before its update.
    validation_loss_curve_ : list of float
        With ``early_stopping``, the validation loss after every epoch.
    validation_scores_ : list of float or None
        With ``early_stopping``, the validation score after every epoch;
        None otherwise.
    best_validation_score_ : float or None
        With ``early_stopping``, the best validation score; None otherwise.
    best_validation_loss_ : float
        With ``early_stopping``, the lowest validation loss.
    n_iter_ : int
        Epochs run, over all calls with ``warm_start`` or ``partial_fit``.
    t_ : int
        Training samples seen, as in MLPClassifier.
    n_layers_ : int
        Number of layers, input and output included.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit, when ``X`` has string column names.
"""


class DeepClassifier(HiddenLayers, ClassifierNetwork):
    __doc__ = (
        """Multi-layer network for any classification target.

    Binary, multiclass or multilabel.

    A drop-in for MLPClassifier (its defaults and parameter names, with
    ``learning_rate`` for its ``learning_rate_init``), on the engine of the
    course: ``[LINEAR -> activation] x (L-1) -> LINEAR -> head``. The head
    follows the target: one sigmoid output for two classes (the course's
    model: the same numbers as :class:`DeepBinaryClassifier` with the same
    parameters), softmax with categorical cross-entropy for three classes or
    more, independent sigmoids for a multilabel indicator matrix.

    Parameters
    ----------
    hidden_layer_sizes : array-like of int, default=(100,)
        Width of each hidden layer; ``()`` gives logistic (softmax)
        regression."""
        + _COMMON_PARAMETERS
        + """    class_weight : dict, "balanced" or None, default=None
        Weights of the classes, multiplied into ``sample_weight``."""
        + _CONTROL_PARAMETERS
        + """
    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels (``0 .. n_labels - 1`` for a multilabel target)."""
        + _COMMON_ATTRIBUTES
        + """    n_outputs_ : int
        Width of the output layer: 1 for two classes, else one per class
        (or label).
    out_activation_ : str
        ``"logistic"`` or ``"softmax"``.

    See Also
    --------
    DeepBinaryClassifier : The course's model and defaults, two classes.
    DeepRegressor : The same network for regression.
    sklearn.neural_network.MLPClassifier : The multi-layer perceptron of
        scikit-learn.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from skdnn import DeepClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = make_pipeline(StandardScaler(), DeepClassifier(random_state=0))
    >>> clf.fit(X, y).score(X, y) > 0.95
    True
    >>> clf.predict_proba(X[:2]).shape
    (2, 3)
    """
    )

    _parameter_constraints: dict = {
        **ClassifierNetwork._parameter_constraints,
        **HiddenLayers._parameter_constraints,
    }

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        solver="adam",
        learning_rate=0.001,
        learning_rate_decay=0.0,
        max_iter=200,
        batch_size="auto",
        shuffle=True,
        momentum=0.9,
        nesterovs_momentum=True,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        max_fun=15000,
        alpha=0.0001,
        dropout=0.0,
        init="xavier",
        class_weight=None,
        tol=1e-4,
        n_iter_no_change=10,
        early_stopping=False,
        validation_fraction=0.1,
        warm_start=False,
        space="auto",
        random_state=None,
        verbose=0,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.learning_rate = learning_rate
        self.learning_rate_decay = learning_rate_decay
        self.max_iter = max_iter
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.max_fun = max_fun
        self.alpha = alpha
        self.dropout = dropout
        self.init = init
        self.class_weight = class_weight
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.warm_start = warm_start
        self.space = space
        self.random_state = random_state
        self.verbose = verbose


class DeepBinaryClassifier(DeepClassifier):
    """L-layer neural network for binary classification, the course's model.

    ``[LINEAR -> activation] x (L-1) -> LINEAR -> SIGMOID``, trained by
    full-batch gradient descent on the cross-entropy cost. With the defaults
    and ``random_state=1`` it is the course's ``L_layer_model`` with
    ``layers_dims = [n_features, 20, 7, 5, 1]``, and it reproduces the course's
    costs digit for digit.

    Parameters
    ----------
    hidden_layer_sizes : array-like of int, default=(20, 7, 5)
        Width of each hidden layer: the course's ``layers_dims`` without the
        input and output layers. ``()`` gives logistic regression.
    activation : {"relu", "leaky_relu", "tanh", "sigmoid", "logistic", \
            "identity"} or list of them, default="relu"
        Activation of the hidden layers, one for all or one per hidden layer.
        ``leaky_relu`` has slope 0.01 and ``logistic`` is another name for
        ``sigmoid``.
    solver : {"gd", "momentum", "sgd", "adam", "lbfgs"}, default="gd"
        Update rule: the course's gradient descent, the course's momentum
        (a running average of the gradients), scikit-learn's ``"sgd"``
        (``v := momentum v - learning_rate dW``, Nesterov's by default, as
        in MLPClassifier), Adam (course 2, "Optimization algorithms"), or
        ``"lbfgs"``: scipy's L-BFGS-B on all the parameters at once, full
        batch, with the loss curve, early stopping and callbacks.
    learning_rate : float, default=0.0075
        Step size ``alpha`` of the update ``W := W - alpha dW``.
    learning_rate_decay : float, default=0.0
        Course 2's decay: the epoch ``e`` uses
        ``learning_rate / (1 + learning_rate_decay * e)``.
    max_iter : int, default=2500
        Number of epochs (``num_iterations``); with full batches an epoch is
        one gradient-descent iteration.
    batch_size : int, "auto" or None, default=None
        ``None`` uses the whole training set for every update, as the course
        does; an int trains on mini-batches of that size; ``"auto"`` is
        MLPClassifier's ``min(200, n_samples)``.
    shuffle : bool, default=True
        With mini-batches, reshuffle the samples every epoch (drawn from
        ``random_state``).
    momentum : float, default=0.9
        ``beta`` of ``solver="momentum"``: ``v := beta v + (1 - beta) dW``;
        for ``solver="sgd"``, MLPClassifier's ``momentum``.
    nesterovs_momentum : bool, default=True
        ``solver="sgd"`` only: Nesterov's momentum, as in MLPClassifier.
    beta_1 : float, default=0.9
        Adam's decay of the first-moment estimate.
    beta_2 : float, default=0.999
        Adam's decay of the second-moment estimate.
    epsilon : float, default=1e-8
        Adam's guard against division by zero.
    max_fun : int, default=15000
        ``solver="lbfgs"`` only: the most cost-and-gradient evaluations;
        ``max_iter`` bounds its iterations. Reaching either warns with
        ``ConvergenceWarning``.
    alpha : float, default=0.0
        L2 penalty: the cost gains ``alpha / (2 m) * sum ||W||^2`` (course 2's
        lambda). Not the learning rate.
    dropout : float or array-like of float, default=0.0
        Inverted dropout (course 2): the fraction of each hidden layer's units
        switched off at every update, one value for all hidden layers or one
        per hidden layer. Training only; ``predict`` uses every unit.
    init : {"xavier", "he", "random"}, default="xavier"
        Weight initialisation: ``randn(n_l, n_prev) / sqrt(n_prev)``,
        ``randn * sqrt(2 / n_prev)`` or ``randn * 0.01``. Biases start at zero.
    class_weight : dict, "balanced" or None, default=None
        Weights of the classes, multiplied into ``sample_weight``:
        ``{label: weight}``, or ``"balanced"`` for
        ``n_samples / (2 * np.bincount(y))``.
    tol : float or None, default=None
        ``None`` runs all ``max_iter`` epochs, as the course does. A float
        stops when the cost (the validation loss with ``early_stopping``) has
        not improved by at least ``tol`` for ``n_iter_no_change`` epochs in a
        row, and warns with ``ConvergenceWarning`` if ``max_iter`` comes first.
        For ``solver="lbfgs"`` it is the gradient tolerance ``gtol`` (as in
        MLPClassifier), and ``None`` stops only when L-BFGS cannot decrease
        the cost any more.
    n_iter_no_change : int or np.inf, default=10
        Patience of ``tol`` and ``early_stopping``.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the training data (a stratified
        split drawn from ``random_state``), or use the ``X_val``, ``y_val``
        given to :meth:`fit`; record its loss and accuracy every epoch, stop
        when it stops improving and keep the parameters of the epoch with the
        lowest validation loss.
    validation_fraction : float, default=0.1
        Share of the training data held out by ``early_stopping``; ignored
        when :meth:`fit` is given ``X_val``.
    warm_start : bool, default=False
        Continue from the fitted parameters on the next ``fit``;
        ``n_iter_`` and ``loss_curve_`` keep counting.
    space : {"auto", "feature", "sample"}, default="auto"
        Where plain full-batch gradient descent keeps the first layer's
        weights. ``"feature"`` updates ``W[1]`` itself; ``"sample"`` keeps it
        as ``c W1_0 + X.T @ C`` with one row of ``C`` per sample, which gives
        the same iterates (up to rounding) at a fraction of the cost when
        there are more features than samples, and forms ``W[1]`` once at the
        end. ``"auto"`` picks the cheaper one by counting multiply-adds.
    random_state : int, RandomState instance or None, default=None
        Seed of the weight draws (``random_state=1`` equals the course's
        ``np.random.seed(1)``), then of the validation split,
        the shuffles and the dropout masks.
    verbose : int, default=0
        ``1`` prints the course's ``Cost after iteration i: J`` every 100
        iterations.

    Attributes
    ----------
    classes_ : ndarray of shape (2,)
        Class labels; ``classes_[1]`` is the positive class (``y = 1``).
    coefs_ : list of ndarray
        ``coefs_[l - 1]`` is the course's ``W[l]`` transposed, of shape
        ``(n_{l-1}, n_l)``.
    intercepts_ : list of ndarray
        ``intercepts_[l - 1]`` is the course's ``b[l]``, of shape ``(n_l,)``.
    parameters_ : dict
        The course's ``parameters`` dict (``"W1"``, ``"b1"``, ...) in the
        course's orientation.
    loss_curve_ : list of float
        The cost ``J`` of every epoch, computed before its update (with
        mini-batches, the weighted mean of the batch costs).
    validation_loss_curve_ : list of float
        With ``early_stopping``, the validation cross-entropy after every
        epoch (empty otherwise).
    validation_scores_ : list of float or None
        With ``early_stopping``, the validation accuracy after every epoch;
        None otherwise (as in MLPClassifier).
    best_validation_loss_ : float
        With ``early_stopping``, the lowest validation loss; its parameters
        are the fitted ones.
    n_iter_ : int
        Number of epochs run, over all calls with ``warm_start`` or
        ``partial_fit``.
    t_ : int
        Number of training samples seen, as in MLPClassifier: each epoch
        adds the number of rows trained on.
    n_layers_ : int
        Number of layers, input and output included.
    n_outputs_ : int
        Always 1.
    out_activation_ : str
        Always ``"logistic"``.
    loss_ : float
        The last entry of ``loss_curve_``.
    best_loss_ : float or None
        The lowest cost of ``loss_curve_``; None with ``early_stopping``.
    best_validation_score_ : float or None
        With ``early_stopping``, the best validation accuracy; else None.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit, when ``X`` has string column names.

    See Also
    --------
    DeepClassifier : Any number of classes, multilabel targets, MLPClassifier's
        defaults.
    LogisticRegressionGD : The same engine with no hidden layer.
    sklearn.neural_network.MLPClassifier : The multi-layer perceptron of scikit-learn.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from skdnn import DeepBinaryClassifier
    >>> X, y = make_classification(n_samples=200, random_state=0)
    >>> clf = DeepBinaryClassifier(hidden_layer_sizes=(8, 4), learning_rate=0.1,
    ...                            max_iter=500, random_state=1).fit(X, y)
    >>> clf.predict_proba(X[:2]).shape
    (2, 2)
    >>> clf.score(X, y) > 0.9
    True
    """

    _binary_only = True

    def __init__(
        self,
        hidden_layer_sizes=(20, 7, 5),
        activation="relu",
        *,
        solver="gd",
        learning_rate=0.0075,
        learning_rate_decay=0.0,
        max_iter=2500,
        batch_size=None,
        shuffle=True,
        momentum=0.9,
        nesterovs_momentum=True,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        max_fun=15000,
        alpha=0.0,
        dropout=0.0,
        init="xavier",
        class_weight=None,
        tol=None,
        n_iter_no_change=10,
        early_stopping=False,
        validation_fraction=0.1,
        warm_start=False,
        space="auto",
        random_state=None,
        verbose=0,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.learning_rate = learning_rate
        self.learning_rate_decay = learning_rate_decay
        self.max_iter = max_iter
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.max_fun = max_fun
        self.alpha = alpha
        self.dropout = dropout
        self.init = init
        self.class_weight = class_weight
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.warm_start = warm_start
        self.space = space
        self.random_state = random_state
        self.verbose = verbose


class DeepRegressor(HiddenLayers, RegressorNetwork):
    __doc__ = (
        """Multi-layer network for regression, one output or several.

    A drop-in for MLPRegressor (its defaults and parameter names, with
    ``learning_rate`` for its ``learning_rate_init``) on the engine of the
    course: ``[LINEAR -> activation] x (L-1) -> LINEAR -> out_activation``,
    trained on the squared error ``J = 1/(2m) sum ||a - y||^2`` (plus the L2
    term). ``out_activation="relu"`` with no hidden layer is the seeds'
    housing-price neuron, ``price = max(0, w size + b)``.

    Parameters
    ----------
    hidden_layer_sizes : array-like of int, default=(100,)
        Width of each hidden layer; ``()`` gives linear regression (or the
        single ReLU neuron)."""
        + _COMMON_PARAMETERS
        + """    out_activation : {"identity", "relu"}, default="identity"
        The output layer: ``a = z`` (MLPRegressor's) or ``a = max(0, z)``
        for targets that cannot be negative. A ReLU output starts with its
        bias at the target's mean, so that it does not start off (and
        without a gradient) for every sample."""
        + _CONTROL_PARAMETERS
        + """
    Attributes
    ----------"""
        + _COMMON_ATTRIBUTES
        + """    n_outputs_ : int
        Number of targets.
    out_activation_ : str
        ``"identity"`` or ``"relu"``.

    See Also
    --------
    DeepClassifier : The same network for classification.
    sklearn.neural_network.MLPRegressor : The multi-layer perceptron of
        scikit-learn.

    Examples
    --------
    >>> import numpy as np
    >>> from skdnn import DeepRegressor
    >>> size = np.linspace(0.5, 3, 60).reshape(-1, 1)
    >>> price = np.maximum(0, 150 * size.ravel() - 100)
    >>> neuron = DeepRegressor((), out_activation="relu", solver="lbfgs",
    ...                        random_state=0).fit(size, price)
    >>> neuron.score(size, price) > 0.99
    True
    """
    )

    _parameter_constraints: dict = {
        **RegressorNetwork._parameter_constraints,
        **HiddenLayers._parameter_constraints,
    }

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        solver="adam",
        learning_rate=0.001,
        learning_rate_decay=0.0,
        max_iter=200,
        batch_size="auto",
        shuffle=True,
        momentum=0.9,
        nesterovs_momentum=True,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        max_fun=15000,
        alpha=0.0001,
        dropout=0.0,
        init="xavier",
        out_activation="identity",
        tol=1e-4,
        n_iter_no_change=10,
        early_stopping=False,
        validation_fraction=0.1,
        warm_start=False,
        space="auto",
        random_state=None,
        verbose=0,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.learning_rate = learning_rate
        self.learning_rate_decay = learning_rate_decay
        self.max_iter = max_iter
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.max_fun = max_fun
        self.alpha = alpha
        self.dropout = dropout
        self.init = init
        self.out_activation = out_activation
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.warm_start = warm_start
        self.space = space
        self.random_state = random_state
        self.verbose = verbose
