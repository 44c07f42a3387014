"""Turning images and tables into the feature vectors the course's networks take.

The course flattens each ``(64, 64, 3)`` picture into one column of
``64 * 64 * 3 = 12288`` values and divides by 255 ("standardize the data
set"). :class:`ImageVectorizer` is that step as a scikit-learn transformer,
so that a pipeline can be fit on raw images. :class:`TabularEncoder` does
the same for a table of numbers and strings with missing values, such as a
CSV file: it fills in the numbers and one-hot encodes the categories.
"""

import math
import sys
from numbers import Integral, Real
from typing import NamedTuple

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context, clone
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import (
    _check_feature_names_in,
    check_array,
    check_is_fitted,
    validate_data,
)

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
    """Return a copy of the fitted network ``estimator`` that takes unscaled data.

    The fitted ``StandardScaler`` ``scaler`` that fed it is folded into the
    first layer, ``W' = W / sigma`` and ``b' = b - (mu / sigma) @ W``, so that
    ``fold_scaler(scaler, net).predict(X)`` equals
    ``net.predict(scaler.transform(X))`` up to rounding, and a model file
    needs no pipeline. ``estimator`` is left as it was.

    Parameters
    ----------
    scaler : sklearn.preprocessing.StandardScaler
        The fitted scaler whose output ``estimator`` was fit on.
    estimator : estimator of skdnn
        A fitted DeepBinaryClassifier, LogisticRegressionGD, DeepClassifier
        or DeepRegressor.

    Returns
    -------
    folded : estimator of skdnn
        A fitted copy of ``estimator`` with the scaling in its first layer;
        its ``feature_names_in_`` are the scaler's, when it has them.

    See Also
    --------
    skdnn.save_model : Save the folded network, or a pipeline
        ``make_pipeline(TabularEncoder(), folded)``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.preprocessing import StandardScaler
    >>> from skdnn import LogisticRegressionGD
    >>> from skdnn.preprocessing import fold_scaler
    >>> X = np.array([[100.0, 1.0], [200.0, 3.0], [300.0, 2.0], [400.0, 5.0]])
    >>> scaler = StandardScaler().fit(X)
    >>> net = LogisticRegressionGD(max_iter=50).fit(scaler.transform(X), [0, 0, 1, 1])
    >>> folded = fold_scaler(scaler, net)
    >>> expected = net.predict_proba(scaler.transform(X))
    >>> bool(np.allclose(folded.predict_proba(X), expected))
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


# -- tables: TabularEncoder --------------------------------------------------------

#: The two kinds of columns of a table.
NUMERIC, CATEGORICAL = "numeric", "categorical"


class _Column(NamedTuple):
    """One column of the table being encoded.

    ``values`` is an int, uint or float array, or an object array of
    anything; ``missing`` marks NaN, None, ``pd.NA`` and ``NaT``; ``kind``
    is the kind the column's dtype decides (:data:`NUMERIC` or
    :data:`CATEGORICAL`), or None when its values decide it (an object or
    string array).
    """

    values: np.ndarray
    missing: np.ndarray
    kind: str | None


class _NotANumber(ValueError):
    """A value of a numeric column that ``float`` does not convert."""


def _pandas(X):
    """The pandas module when ``X`` is a pandas DataFrame, else None. pandas
    is never imported here: if it is not imported yet, ``X`` is not one."""
    pd = sys.modules.get("pandas")
    return pd if pd is not None and isinstance(X, pd.DataFrame) else None


def _is_missing(value):
    """Whether one value of an object column is missing: None, a float or
    NumPy NaN, NumPy's NaT, or pandas' ``NA`` and ``NaT``."""
    if value is None:
        return True
    pd = sys.modules.get("pandas")
    if pd is not None and (value is pd.NA or value is pd.NaT):
        return True
    if isinstance(value, (np.datetime64, np.timedelta64)):
        return bool(np.isnat(value))
    return isinstance(value, (float, np.floating)) and math.isnan(value)


def _array_column(X, j):
    """Column ``j`` of the validated 2-D ndarray ``X``."""
    values = X[:, j]
    if values.dtype.kind in "iuf":
        return _Column(values, np.isnan(values), NUMERIC)
    if values.dtype.kind == "b":
        return _Column(values, np.zeros(len(values), bool), CATEGORICAL)
    values = values.astype(object)
    missing = np.fromiter(map(_is_missing, values), bool, len(values))
    return _Column(values, missing, None)


def _frame_column(pd, X, j):
    """Column ``j`` of the DataFrame ``X``: numeric if its dtype is numeric
    (and not bool), categorical otherwise."""
    column = X.iloc[:, j]
    dtype = column.dtype
    if pd.api.types.is_complex_dtype(dtype):
        raise ValueError(
            f"Complex data not supported: column {X.columns[j]!r} of X is {dtype}."
        )
    numeric = pd.api.types.is_numeric_dtype(dtype)
    kind = NUMERIC if numeric and not pd.api.types.is_bool_dtype(dtype) else CATEGORICAL
    if isinstance(dtype, np.dtype) and dtype.kind in "iuf":
        values = column.to_numpy()
        return _Column(values, np.isnan(values), kind)
    return _Column(column.to_numpy(dtype=object), column.isna().to_numpy(), kind)


def _floats(column):
    """The column's values as float64, NaN where missing; ``_NotANumber``
    for a value that ``float`` does not convert, or a bool. An integer too
    large for a float is infinite."""
    if column.values.dtype.kind in "iuf":
        return column.values.astype(np.float64)
    floats = np.full(len(column.values), np.nan)
    for i in np.flatnonzero(~column.missing):
        value = column.values[i]
        try:
            if isinstance(value, (bool, np.bool_)):
                raise TypeError
            floats[i] = float(value)
        except OverflowError:
            floats[i] = math.inf if value > 0 else -math.inf
        except (TypeError, ValueError):
            raise _NotANumber(value) from None
    return floats


def _strings(column):
    """The rows of the column's values that are not missing, and those
    values as ``str(value)`` (an object array)."""
    rows = np.flatnonzero(~column.missing)
    strings = np.empty(len(rows), dtype=object)
    strings[:] = [str(value) for value in column.values[rows]]
    return rows, strings


def _fill_value(floats, where):
    """The training mean of a numeric column's values that are not missing;
    a ValueError for an infinite value or a column with no value."""
    if np.isinf(floats).any():
        raise ValueError(
            f"{where} holds infinite values; TabularEncoder accepts finite "
            "numbers and missing values (NaN) only."
        )
    present = floats[~np.isnan(floats)]
    if present.size == 0:
        raise ValueError(
            f"{where} has no values at all (every one is missing), so it has no "
            "mean to fill in with: drop the column."
        )
    with np.errstate(over="ignore"):
        mean = np.mean(present)
    if not np.isfinite(mean):  # the sum overflowed: add the values divided first
        mean = np.sum(present / present.size)
    return float(mean)


def _categories(column, where, max_categories):
    """The sorted distinct ``str(value)`` of a categorical column; a
    ValueError if there are none, or more than ``max_categories``."""
    categories = np.unique(_strings(column)[1])
    if categories.size == 0:
        raise ValueError(
            f"{where} has no values at all (every one is missing), so no "
            "categories: drop the column."
        )
    if max_categories is not None and categories.size > max_categories:
        raise ValueError(
            f"{where} has {categories.size} distinct values, more than "
            f"max_categories={max_categories}; one-hot encoding would give it "
            f"{categories.size} columns. Drop the column (an identifier or free "
            "text?), or raise max_categories (None for no limit)."
        )
    return categories


def _fill_in(column, where, fill_value):
    """A numeric column as float64, its missing values ``fill_value``; a
    ValueError for a value that is not a finite number."""
    try:
        floats = _floats(column)
    except _NotANumber as exc:
        raise ValueError(
            f"{where} holds {exc.args[0]!r}, which is not a number; the column "
            "was numeric in fit."
        ) from None
    if np.isinf(floats).any():
        raise ValueError(f"{where} holds infinite values.")
    floats[np.isnan(floats)] = fill_value
    return floats


def _codes(column, categories):
    """The rows of a categorical column whose value is one of
    ``categories``, and the index of that category in ``categories``."""
    rows, strings = _strings(column)
    codes = np.searchsorted(categories, strings)
    known = codes < len(categories)
    known[known] = categories[codes[known]] == strings[known]
    return rows[known], codes[known]


def _learn(columns, names, max_categories):
    """The fitted attributes of :class:`TabularEncoder` for ``columns``."""
    numeric, fill_values, categorical, categories = [], [], [], []
    for j, (column, name) in enumerate(zip(columns, names, strict=True)):
        where, floats = f"Column {name} of X", None
        if column.kind != CATEGORICAL:
            try:
                floats = _floats(column)
            except _NotANumber:
                pass  # an object column of strings: categorical
        if floats is not None:
            numeric.append(j)
            fill_values.append(_fill_value(floats, where))
        else:
            categorical.append(j)
            categories.append(_categories(column, where, max_categories))
    return {
        "numeric_columns_": np.asarray(numeric, dtype=np.int64),
        "fill_values_": np.asarray(fill_values, dtype=np.float64),
        "categorical_columns_": np.asarray(categorical, dtype=np.int64),
        "categories_": categories,
    }


class TabularEncoder(TransformerMixin, BaseEstimator):
    """Encode a table of numbers and categories as the numbers a network takes.

    Each column of ``X`` is either **numeric** or **categorical**, decided by
    :meth:`fit`. In a pandas DataFrame, a column is numeric when its dtype is
    (and is not bool); strings, bools, ``category`` and every other dtype are
    categorical. In an array, a column is numeric when the array's dtype is
    numeric, or, in an object or string array, when every value that is not
    missing converts to a float (``float(value)``; not a bool); otherwise it
    is categorical. Categorical values are compared as ``str(value)``.

    :meth:`transform` outputs the numeric columns first, in their input
    order, then, for each categorical column in input order, one 0/1 column
    per category seen in fit (one-hot encoding, the categories sorted).

    **Missing values** (NaN, None, ``pd.NA``, ``NaT``) are filled in by one
    rule. *Numbers: the training mean* of the column's values that are not
    missing. *Categories: none of the one-hot columns*: a missing value, like
    a category not seen in fit, is encoded as all zeros.

    Parameters
    ----------
    max_categories : int or None, default=100
        Most distinct values a categorical column may have in fit; a column
        with more is refused (it would give as many input columns, and is
        often an identifier or free text). None for no limit.

    Attributes
    ----------
    n_features_in_ : int
        Number of columns of ``X`` seen in fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of those columns, when ``X`` was a DataFrame whose column names
        are all strings.
    numeric_columns_ : ndarray of int64
        Positions of the numeric columns in ``X``, increasing.
    fill_values_ : ndarray of float64, same shape as `numeric_columns_`
        What fills in a missing value of each numeric column: the mean of its
        values in fit.
    categorical_columns_ : ndarray of int64
        Positions of the categorical columns in ``X``, increasing.
    categories_ : list of ndarray of str objects
        The categories of each categorical column: its distinct
        ``str(value)`` in fit, sorted.

    See Also
    --------
    sklearn.impute.SimpleImputer : ``strategy="mean"`` fills in numbers the
        same way.
    sklearn.preprocessing.OneHotEncoder : ``handle_unknown="ignore"`` encodes
        categories the same way.

    Notes
    -----
    A ``ValueError`` that names the column refuses: an infinite value in a
    numeric column; a column with no value at all in fit (nothing to fill in
    with); a categorical column with more than ``max_categories`` distinct
    values; in :meth:`transform`, a value of a numeric column that is not a
    number, or a table of other columns than in fit. The fitted state is
    arrays and strings only, so :func:`skdnn.save_model` stores it in a model
    file, without pickle, in a pipeline ``make_pipeline(TabularEncoder(),
    network)``.

    Examples
    --------
    >>> import numpy as np
    >>> from skdnn.preprocessing import TabularEncoder
    >>> X = np.array([[25, "rome"], [None, "oslo"], [35, None]], dtype=object)
    >>> encoder = TabularEncoder().fit(X)
    >>> encoder.get_feature_names_out()
    array(['x0', 'x1=oslo', 'x1=rome'], dtype=object)
    >>> encoder.transform(X)
    array([[25.,  0.,  1.],
           [30.,  1.,  0.],
           [35.,  0.,  0.]])
    >>> encoder.transform(np.array([[40, "paris"]], dtype=object))
    array([[40.,  0.,  0.]])
    """

    _parameter_constraints: dict = {
        "max_categories": [Interval(Integral, 1, None, closed="left"), None],
    }

    def __init__(self, max_categories=100):
        self.max_categories = max_categories

    def _columns(self, X, reset):
        """The columns of ``X``, checked as ``validate_data`` checks them:
        2-D, not empty, not sparse, not complex, and at transform of the
        width and feature names seen in fit."""
        pd = _pandas(X)
        if pd is None:
            X = validate_data(self, X, dtype=None, ensure_all_finite=False, reset=reset)
            return [_array_column(X, j) for j in range(X.shape[1])]
        validate_data(self, X, skip_check_array=True, reset=reset)
        if min(X.shape) < 1:
            raise ValueError(
                f"Found a DataFrame of shape {X.shape}, while a minimum of 1 "
                "sample and 1 column is required by TabularEncoder."
            )
        return [_frame_column(pd, X, j) for j in range(X.shape[1])]

    def _column_names(self):
        """How the errors name each input column: ``'city'`` or ``3``."""
        names = getattr(self, "feature_names_in_", None)
        if names is None:
            return [str(j) for j in range(self.n_features_in_)]
        return [repr(str(name)) for name in names]

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Decide the kind of each column; learn fill values and categories.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            The table: numbers, strings or other values, with missing values.
        y : None
            Ignored.

        Returns
        -------
        self : object
            The fitted encoder.

        Raises
        ------
        ValueError
            If ``X`` is not a table, or a column is refused (see Notes of the
            class); the message names the column. The encoder is left as it
            was.
        """
        before = dict(vars(self))
        try:
            columns = self._columns(X, reset=True)
            learned = _learn(columns, self._column_names(), self.max_categories)
        except BaseException:
            vars(self).clear()
            vars(self).update(before)  # validate_data set n_features_in_, ...
            raise
        vars(self).update(learned)
        return self

    def transform(self, X):
        """Fill in the numbers, one-hot encode the categories.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, `n_features_in_`)
            A table of the columns seen in fit (by name, for a DataFrame fit
            on one).

        Returns
        -------
        X_encoded : ndarray of float64, shape (n_samples, n_features_out)
            The numeric columns, missing values filled in with
            `fill_values_`, then one 0/1 column per category of each
            categorical column (all zeros for a missing value or a category
            not seen in fit); ``n_features_out`` is
            ``len(numeric_columns_) + sum(len(c) for c in categories_)``.

        Raises
        ------
        ValueError
            If ``X`` has other columns than in fit, or a numeric column holds
            an infinite value or a value that is not a number.
        """
        check_is_fitted(self)
        columns = self._columns(X, reset=False)
        names = self._column_names()
        n_numeric = len(self.numeric_columns_)
        width = n_numeric + sum(len(categories) for categories in self.categories_)
        encoded = np.zeros((len(columns[0].values), width))
        numbers = zip(self.numeric_columns_, self.fill_values_, strict=True)
        for i, (j, fill) in enumerate(numbers):
            encoded[:, i] = _fill_in(columns[j], f"Column {names[j]} of X", fill)
        offset = n_numeric
        for j, categories in zip(
            self.categorical_columns_, self.categories_, strict=True
        ):
            rows, codes = _codes(columns[j], categories)
            encoded[rows, offset + codes] = 1.0
            offset += len(categories)
        return encoded

    def get_feature_names_out(self, input_features=None):
        """Name each output column, as ``"age"`` or ``"city=rome"``.

        A numeric column keeps the name of its input column; a one-hot
        column is named ``"<name>=<category>"``.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Names of the input columns; by default `feature_names_in_`, or
            ``x0, x1, ...`` when fit saw no names.

        Returns
        -------
        feature_names_out : ndarray of str objects
            The names, in the order of the columns of :meth:`transform`.
        """
        check_is_fitted(self)
        names = _check_feature_names_in(self, input_features)
        out = [names[j] for j in self.numeric_columns_]
        for j, categories in zip(
            self.categorical_columns_, self.categories_, strict=True
        ):
            out += [f"{names[j]}={category}" for category in categories]
        return np.asarray(out, dtype=object)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.string = True
        tags.input_tags.categorical = True
        return tags
