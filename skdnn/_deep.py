"""``DeepBinaryClassifier``: the course's L-layer network."""

from numbers import Integral

from sklearn.utils._param_validation import Interval, StrOptions

from ._base import BaseBinaryNetwork
from .activations import ACTIVATIONS


class DeepBinaryClassifier(BaseBinaryNetwork):
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
            "identity"}, default="relu"
        Activation of the hidden layers. ``leaky_relu`` has slope 0.01 and
        ``logistic`` is another name for ``sigmoid``.
    learning_rate : float, default=0.0075
        Step size ``alpha`` of the course's update ``W := W - alpha dW``.
    max_iter : int, default=2500
        Number of gradient-descent iterations (``num_iterations``).
    alpha : float, default=0.0
        L2 penalty: the cost gains ``alpha / (2 m) * sum ||W||^2`` (course 2's
        lambda). Not the learning rate.
    init : {"xavier", "he", "random"}, default="xavier"
        Weight initialisation: ``randn(n_l, n_prev) / sqrt(n_prev)``,
        ``randn * sqrt(2 / n_prev)`` or ``randn * 0.01``. Biases start at zero.
    tol : float or None, default=None
        ``None`` runs all ``max_iter`` iterations, as the course does. A float
        stops after the first iteration that lowers the cost by less than
        ``tol``.
    space : {"auto", "feature", "sample"}, default="auto"
        Where gradient descent keeps the first layer's weights. ``"feature"``
        updates ``W[1]`` itself; ``"sample"`` keeps it as
        ``c W1_0 + X.T @ C`` with one row of ``C`` per sample, which gives the
        same iterates (up to rounding) at a fraction of the cost when there
        are more features than samples, and forms ``W[1]`` once at the end.
        ``"auto"`` picks the cheaper one by counting multiply-adds.
    random_state : int, RandomState instance or None, default=None
        Seed of the weight draws. ``random_state=1`` equals the course's
        ``np.random.seed(1)``.
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
        The cost ``J`` of every iteration, computed before its update.
    n_iter_ : int
        Number of iterations run.
    n_layers_ : int
        Number of layers, input and output included.
    n_outputs_ : int
        Always 1.
    out_activation_ : str
        Always ``"logistic"``.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen during fit, when ``X`` has string column names.

    See Also
    --------
    LogisticRegressionGD : The same engine with no hidden layer.
    sklearn.neural_network.MLPClassifier : scikit-learn's multi-layer perceptron.

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

    _parameter_constraints: dict = {
        **BaseBinaryNetwork._parameter_constraints,
        "hidden_layer_sizes": [
            "array-like",
            Interval(Integral, 1, None, closed="left"),
        ],
        "activation": [StrOptions(set(ACTIVATIONS))],
        "init": [StrOptions({"xavier", "he", "random"})],
    }

    def __init__(
        self,
        hidden_layer_sizes=(20, 7, 5),
        activation="relu",
        *,
        learning_rate=0.0075,
        max_iter=2500,
        alpha=0.0,
        init="xavier",
        tol=None,
        space="auto",
        random_state=None,
        verbose=0,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.learning_rate = learning_rate
        self.max_iter = max_iter
        self.alpha = alpha
        self.init = init
        self.tol = tol
        self.space = space
        self.random_state = random_state
        self.verbose = verbose

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

    def _hidden_activation(self):
        return self.activation
