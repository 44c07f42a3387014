"""Turning images into the feature vectors the course's networks take.

The course flattens each ``(64, 64, 3)`` picture into one column of
``64 * 64 * 3 = 12288`` values and divides by 255 ("standardize the data
set"). :class:`ImageVectorizer` is that step as a scikit-learn transformer,
so that a pipeline can be fit on raw images.
"""

from numbers import Real

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context, clone
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import check_array, check_is_fitted

#: Accepted dimensions of X: (n_samples, height, width[, channels]).
_IMAGE_NDIMS = (3, 4)


def _check_images(X, estimator_name):
    """Validate ``X`` as a stack of images: ``(n_samples, height, width)`` or
    ``(n_samples, height, width, channels)``, numeric and finite."""
    X = check_array(
        X,
        dtype="numeric",
        ensure_2d=False,
        allow_nd=True,
        ensure_min_samples=1,
        input_name="X",
        estimator=estimator_name,
    )
    if X.ndim not in _IMAGE_NDIMS:
        hint = (
            " A 2-D array looks like images that are already flattened: pass "
            "it to the classifier directly, without ImageVectorizer."
            if X.ndim == 2
            else ""
        )
        raise ValueError(
            f"{estimator_name} expects images of shape (n_samples, height, "
            f"width[, channels]); got an array with {X.ndim} dimension"
            f"{'s' if X.ndim != 1 else ''}, of shape {X.shape}.{hint}"
        )
    return X


class ImageVectorizer(TransformerMixin, BaseEstimator):
    """Flatten images into rows and scale them, the course's preprocessing.

    ``transform`` maps images of shape ``(n_samples, height, width,
    channels)`` to ``X.reshape(n_samples, -1) * scale``, one row of
    ``height * width * channels`` features per image, in row-major (C) order:
    row, then column, then channel. With the default ``scale=1/255``, 8-bit
    pixels land in [0, 1], the course's "standardize the data set" step.
    Grayscale images of shape ``(n_samples, height, width)`` are accepted too.

    The output is float32 for float32 input and float64 otherwise (uint8
    pixels become float64), so a float32 pipeline stays float32.

    Parameters
    ----------
    scale : float, default=1/255
        Positive factor applied to every pixel after flattening. The product
        ``x * (1/255)`` can differ from the course's ``x / 255`` by one unit
        in the last place (:func:`skdnn.datasets.load_catvnoncat` divides,
        exactly as the course); on the cat images the course's costs still
        come out to 1e-10.

    Attributes
    ----------
    image_shape_ : tuple of int
        Shape of one image seen during fit, ``(height, width[, channels])``.
    n_features_in_ : int
        Number of values per image, ``height * width * channels``: the
        number of features :meth:`transform` outputs.

    See Also
    --------
    skdnn.datasets.load_catvnoncat : The course's images, raw and flattened.
    skdnn.DeepBinaryClassifier : The course's network, to put after this step.

    Notes
    -----
    ``n_features_in_`` counts the values of one image, not the length of the
    second axis of ``X``: for images it is the number of features the next
    step of a pipeline receives. :meth:`get_feature_names_out` names each
    output column after its pixel, ``"pixel_<row>_<col>_<channel>"`` (or
    ``"pixel_<row>_<col>"`` for grayscale), so that a weight of the next
    step can be traced back to a place in the image.

    The estimator tags declare image input (``three_d_array``, not
    ``two_d_array``): scikit-learn's common estimator checks generate only
    2-D data, which this transformer rightly refuses.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.pipeline import make_pipeline
    >>> from skdnn import DeepBinaryClassifier
    >>> from skdnn.preprocessing import ImageVectorizer
    >>> rng = np.random.RandomState(0)
    >>> images = rng.randint(0, 128, size=(40, 8, 8, 3)).astype(np.uint8)
    >>> y = np.arange(40) % 2
    >>> images[y == 1] += 128  # brighter pictures are the positive class
    >>> ImageVectorizer().fit_transform(images).shape
    (40, 192)
    >>> ImageVectorizer().fit(images).get_feature_names_out()[:3]
    array(['pixel_0_0_0', 'pixel_0_0_1', 'pixel_0_0_2'], dtype=object)
    >>> clf = make_pipeline(
    ...     ImageVectorizer(),
    ...     DeepBinaryClassifier((5,), learning_rate=0.1, max_iter=200, random_state=1),
    ... )
    >>> clf.fit(images, y).score(images, y)
    1.0
    """

    _parameter_constraints: dict = {
        "scale": [Interval(Real, 0, None, closed="neither")],
    }

    def __init__(self, scale=1 / 255):
        self.scale = scale

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Record the shape of the images.

        Parameters
        ----------
        X : array-like of shape (n_samples, height, width[, channels])
            Images. Only their shape is used.
        y : None
            Ignored.

        Returns
        -------
        self : object
            The fitted transformer.
        """
        X = _check_images(X, type(self).__name__)
        self.image_shape_ = tuple(int(n) for n in X.shape[1:])
        self.n_features_in_ = int(np.prod(self.image_shape_))
        return self

    def transform(self, X):
        """Flatten each image into a row and multiply by ``scale``.

        Parameters
        ----------
        X : array-like of shape (n_samples, height, width[, channels])
            Images of the shape seen during fit.

        Returns
        -------
        X_flat : ndarray of shape (n_samples, `n_features_in_`)
            ``X.reshape(n_samples, -1) * scale``; float32 for float32 input,
            float64 otherwise. ``X`` itself is not modified.
        """
        check_is_fitted(self)
        X = _check_images(X, type(self).__name__)
        if X.shape[1:] != self.image_shape_:
            raise ValueError(
                f"X has images of shape {X.shape[1:]}, but {type(self).__name__} "
                f"was fitted on images of shape {self.image_shape_}."
            )
        dtype = np.float32 if X.dtype == np.float32 else np.float64
        X_flat = X.reshape(X.shape[0], -1).astype(dtype)  # a copy: X is untouched
        X_flat *= dtype(self.scale)
        return X_flat

    def get_feature_names_out(self, input_features=None):
        """Name each output column after its pixel.

        Parameters
        ----------
        input_features : None
            Images have no column names; only ``None`` is accepted.

        Returns
        -------
        feature_names_out : ndarray of str objects, shape (`n_features_in_`,)
            ``"pixel_<row>_<col>_<channel>"`` for colour images and
            ``"pixel_<row>_<col>"`` for grayscale ones, in the order of the
            columns of :meth:`transform`.
        """
        check_is_fitted(self)
        if input_features is not None:
            raise ValueError(
                f"{type(self).__name__} takes images, which have no input "
                f"feature names; input_features must be None, got {input_features!r}."
            )
        names = [
            "pixel_" + "_".join(map(str, index))
            for index in np.ndindex(*self.image_shape_)
        ]
        return np.asarray(names, dtype=object)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.three_d_array = True
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        tags.requires_fit = True
        return tags


def fold_scaler(scaler, estimator):
    """A copy of the fitted network ``estimator`` that takes unscaled data.

    The fitted ``StandardScaler`` ``scaler`` that fed it is folded into the
    first layer, ``W' = W / sigma`` and ``b' = b - (mu / sigma) @ W``, so that
    ``fold_scaler(scaler, net).predict(X)`` equals
    ``net.predict(scaler.transform(X))`` up to rounding, and a model file
    needs no pipeline. ``estimator`` is left as it was.

    Parameters
    ----------
    scaler : StandardScaler
        The fitted scaler whose output ``estimator`` was trained on.
    estimator : DeepBinaryClassifier, DeepClassifier, DeepRegressor or \
            LogisticRegressionGD
        The fitted network.

    Returns
    -------
    folded : estimator
        A fitted copy of ``estimator`` (its parameters and every fitted
        attribute) that takes the unscaled features, with the scaler's
        ``feature_names_in_`` if it has them.

    See Also
    --------
    skdnn.save_model : Writes the folded network to a model file.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from skdnn import DeepClassifier
    >>> from skdnn.preprocessing import fold_scaler
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> pipe = make_pipeline(StandardScaler(), DeepClassifier((8,), random_state=0))
    >>> folded = fold_scaler(*pipe.fit(X, y))
    >>> bool(np.allclose(folded.predict_proba(X), pipe.predict_proba(X)))
    True
    """
    folded = clone(estimator)
    folded.__dict__.update(
        {k: v for k, v in vars(estimator).items() if k.endswith("_")}
    )
    W, b = estimator.coefs_[0], estimator.intercepts_[0]
    mean = scaler.mean_ if scaler.with_mean else np.zeros(W.shape[0])
    scale = scaler.scale_ if scaler.with_std else np.ones(W.shape[0])
    W_folded = (W / scale[:, np.newaxis]).astype(W.dtype)
    b_folded = (b - (mean / scale) @ W).astype(b.dtype)
    folded.coefs_ = [W_folded, *estimator.coefs_[1:]]
    folded.intercepts_ = [b_folded, *estimator.intercepts_[1:]]
    if hasattr(scaler, "feature_names_in_"):
        folded.feature_names_in_ = scaler.feature_names_in_
    return folded
