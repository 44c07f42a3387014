"""``LogisticRegressionGD``: the course's first model, a network with no
hidden layer."""

from sklearn.utils.validation import check_is_fitted

from ._classifier import ClassifierNetwork


class LogisticRegressionGD(ClassifierNetwork):
    """Logistic regression trained by batch gradient descent, as in the course.

    ``a = sigmoid(w.x + b)``, fit by full-batch gradient descent on the
    cross-entropy cost. This is the engine of :class:`DeepBinaryClassifier`
    with no hidden layer, so both share every step of the course. With the
    defaults it is the course's logistic-regression ``model`` (zero init,
    ``learning_rate=0.005``, ``num_iterations=2000``).

    Parameters
    ----------
    solver : {"gd", "momentum", "sgd", "adam", "lbfgs"}, default="gd"
        Update rule: the course's gradient descent, the course's momentum
        (a running average of the gradients), scikit-learn's ``"sgd"``
        (``v := momentum v - learning_rate dW``, Nesterov's by default, as
        in MLPClassifier), Adam (course 2, "Optimization algorithms"), or
        ``"lbfgs"``: scipy's L-BFGS-B on all the parameters at once, full
        batch, with the loss curve, early stopping and callbacks.
    learning_rate : float, default=0.005
        Step size ``alpha`` of the update ``W := W - alpha dW``.
    learning_rate_decay : float, default=0.0
        Course 2's decay: the epoch ``e`` uses
        ``learning_rate / (1 + learning_rate_decay * e)``.
    max_iter : int, default=2000
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
    init : {"zeros", "xavier", "he", "random"}, default="zeros"
        Weight initialisation; the course starts logistic regression at zero.
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
        Seed of the weight draws for the random inits, then of the validation split,
        the shuffles and the dropout masks.
    verbose : int, default=0
        ``1`` prints the course's ``Cost after iteration i: J`` every 100
        iterations.

    Attributes
    ----------
    classes_ : ndarray of shape (2,)
        Class labels; ``classes_[1]`` is the positive class.
    coef_ : ndarray of shape (1, `n_features_in_`)
        The weights ``w`` (the course's ``w.T``).
    intercept_ : ndarray of shape (1,)
        The bias ``b``.
    coefs_ : list of one ndarray of shape (`n_features_in_`, 1)
        ``w`` in the layer-list form shared with :class:`DeepBinaryClassifier`.
    intercepts_ : list of one ndarray of shape (1,)
        ``b`` in the same form.
    parameters_ : dict
        The course's ``{"W1": w.T, "b1": b}``.
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

    _binary_only = True

    def __init__(
        self,
        *,
        solver="gd",
        learning_rate=0.005,
        learning_rate_decay=0.0,
        max_iter=2000,
        batch_size=None,
        shuffle=True,
        momentum=0.9,
        nesterovs_momentum=True,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        max_fun=15000,
        alpha=0.0,
        init="zeros",
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

    def _hidden_layer_sizes(self):
        return ()

    def _hidden_activations(self, n_hidden):
        return []

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
