"""``skdnn.to_onnx``: the ONNX export, importing its optional dependencies
(the ``onnx`` extra) only when called."""

#: What an export says when skl2onnx or onnx is not installed.
NEEDS_ONNX = 'ONNX export needs the onnx extra: pip install "skdnn[onnx]"'


def _converter():
    """:mod:`skdnn.onnx` (which registers the converters), or an
    ``ImportError`` saying which extra to install."""
    try:
        from . import onnx
    except ImportError as exc:
        if (exc.name or "").startswith("skdnn"):
            raise
        raise ImportError(f"{NEEDS_ONNX} (no module {exc.name!r})") from exc
    return onnx


def _refuse_tabular_encoder(model):
    """A ValueError for a pipeline holding a TabularEncoder (which has no
    ONNX graph), saying how to export its network."""
    from sklearn.pipeline import Pipeline

    from .preprocessing import TabularEncoder

    steps = [step for _, step in model.steps] if isinstance(model, Pipeline) else []
    if isinstance(model, TabularEncoder) or any(
        isinstance(step, TabularEncoder) for step in steps
    ):
        raise ValueError(
            "Cannot export to ONNX: the export covers the network only, not the "
            "TabularEncoder that turns raw table rows (strings, missing values) "
            "into its input. Export the network, pipeline[-1], which takes the "
            "encoded features: to_onnx(pipeline[-1]); and feed the graph "
            "pipeline[:-1].transform(rows)."
        )


def to_onnx(model, X_sample=None, *, options=None, target_opset=None):
    """Convert a fitted skdnn estimator, or a pipeline ending in one, to ONNX.

    The graph computes what ``predict`` and ``predict_proba`` (``predict``
    for :class:`DeepRegressor`) do, in the dtype the model was trained in,
    and runs in any ONNX runtime, such as onnxruntime, without Python or
    skdnn. Every step must be fitted and have an skl2onnx converter: the
    errors name the step that has not. Needs the ``onnx`` extra
    (``pip install "skdnn[onnx]"``); importing :mod:`skdnn.onnx` registers
    the converters with skl2onnx, so that ``skl2onnx.to_onnx`` converts
    pipelines holding skdnn estimators too.

    Parameters
    ----------
    model : estimator
        A fitted :class:`DeepBinaryClassifier`, :class:`LogisticRegressionGD`,
        :class:`DeepClassifier` or :class:`DeepRegressor`, or a ``Pipeline``
        (``StandardScaler``, ``ColumnTransformer`` with ``OneHotEncoder``, ...)
        that ends in one.
    X_sample : array-like or DataFrame, default=None
        A few rows of the data ``model`` takes (one is enough): their dtype
        and width give the graph's input, and a ``DataFrame`` gives a pipeline
        one input per column. For a bare skdnn estimator the default is one
        row of zeros in the model's dtype.
    options : dict, default=None
        The conversion options of skl2onnx. Classifiers take ``zipmap``:
        ``True`` (the default) gives the probabilities as a list of
        ``{label: probability}`` dicts, in float32; ``False`` as a tensor
        ``(n_samples, n_classes)`` in the model's dtype; ``"columns"`` as
        one output per class.
    target_opset : int or dict, default=None
        The ONNX opset; skl2onnx's latest tested one by default.

    Returns
    -------
    onnx_model : onnx.ModelProto
        The graph, with outputs ``label`` and ``probabilities`` for a
        classifier (``output_label`` and ``output_probability`` with
        ``zipmap``), ``variable`` of shape ``(n_samples, n_outputs_)`` for
        the regressor. ``onnx_model.SerializeToString()`` is a ``.onnx``
        file's content.

    Raises
    ------
    ImportError
        When the onnx extra is not installed.
    sklearn.exceptions.NotFittedError
        When the estimator, or a step of the pipeline, is not fitted.
    ValueError
        When a step of the pipeline has no skl2onnx converter, such as a
        :class:`~skdnn.preprocessing.TabularEncoder`: export the network
        after it, ``pipeline[-1]``, which takes the encoded features.

    See Also
    --------
    save_model : Save a model to an HDF5 file, without pickle.

    Examples
    --------
    >>> import numpy as np
    >>> import onnxruntime as ort
    >>> from skdnn import DeepClassifier, to_onnx
    >>> X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    >>> clf = DeepClassifier((8,), solver="lbfgs", random_state=0)
    >>> clf = clf.fit(X, [0, 1, 1, 0])
    >>> onnx_model = to_onnx(clf, X[:1], options={"zipmap": False})
    >>> session = ort.InferenceSession(
    ...     onnx_model.SerializeToString(), providers=["CPUExecutionProvider"]
    ... )
    >>> label, proba = session.run(None, {"X": X})
    >>> label.tolist()
    [0, 1, 1, 0]
    >>> bool(np.allclose(proba, clf.predict_proba(X), rtol=0, atol=1e-10))
    True
    """
    _refuse_tabular_encoder(model)
    return _converter().convert(
        model, X_sample, options=options, target_opset=target_opset
    )
