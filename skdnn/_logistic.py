"""``LogisticRegressionGD``: the course's first model, a network with no
hidden layer."""

from sklearn.utils.validation import check_is_fitted

from ._base import BaseBinaryNetwork


class LogisticRegressionGD(BaseBinaryNetwork):
    """Logistic regression trained by batch gradient descent, as in the course.

    ``a = sigmoid(w.x + b)``, fit by full-batch gradient descent on the
    cross-entropy cost. This is the engine of :class:`DeepBinaryClassifier`
    with no hidden layer, so both share every step of the course. With the
    defaults it is the course's logistic-regression ``model`` (zero init,
    ``learning_rate=0.005``, ``num_iterations=2000``).

    Parameters
    ----------
    learning_rate : float, default=0.005
        Step size ``alpha`` of the update ``w := w - alpha dw``.
    max_iter : int, default=2000
        Number of gradient-descent iterations (``num_iterations``).
    alpha : float, default=0.0
        L2 penalty: the cost gains ``alpha / (2 m) * ||w||^2``. Not the
        learning rate.
    init : {"zeros", "xavier", "he", "random"}, default="zeros"
        Weight initialisation; the course starts logistic regression at zero.
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
        Seed of the weight draws for the random inits (unused with
        ``init="zeros"``).
    verbose : int, default=0
        ``1`` prints the course's ``Cost after iteration i: J`` every 100
        iterations.

    Attributes
    ----------
    classes_ : ndarray of shape (2,)
        Class labels; ``classes_[1]`` is the positive class.
    coef_ : ndarray of shape (1, n_features_in_)
        The weights ``w`` (the course's ``w.T``).
    intercept_ : ndarray of shape (1,)
        The bias ``b``.
    coefs_ : list of one ndarray of shape (n_features_in_, 1)
        ``w`` in the layer-list form shared with :class:`DeepBinaryClassifier`.
    intercepts_ : list of one ndarray of shape (1,)
        ``b`` in the same form.
    parameters_ : dict
        The course's ``{"W1": w.T, "b1": b}``.
    loss_curve_ : list of float
        The cost ``J`` of every iteration, computed before its update.
    n_iter_ : int
        Number of iterations run.
    n_layers_ : int
        Always 2 (input and output).
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
    DeepBinaryClassifier : The same engine with hidden layers.
    sklearn.linear_model.LogisticRegression : Solved with quasi-Newton methods.

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from skdnn import LogisticRegressionGD
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> clf = make_pipeline(StandardScaler(), LogisticRegressionGD(learning_rate=0.1))
    >>> clf.fit(X, y).score(X, y) > 0.95
    True
    >>> clf[-1].coef_.shape
    (1, 30)
    """

    def __init__(
        self,
        *,
        learning_rate=0.005,
        max_iter=2000,
        alpha=0.0,
        init="zeros",
        tol=None,
        space="auto",
        random_state=None,
        verbose=0,
    ):
        self.learning_rate = learning_rate
        self.max_iter = max_iter
        self.alpha = alpha
        self.init = init
        self.tol = tol
        self.space = space
        self.random_state = random_state
        self.verbose = verbose

    def _hidden_layer_sizes(self):
        return ()

    def _hidden_activation(self):
        return "identity"

    @property
    def coef_(self):
        """Weights ``w`` of shape ``(1, n_features_in_)``."""
        check_is_fitted(self)
        return self.coefs_[0].T

    @property
    def intercept_(self):
        """Bias ``b`` of shape ``(1,)``."""
        check_is_fitted(self)
        return self.intercepts_[0]
