"""Checks of a fit's input that scikit-learn's parameter constraints cannot
express (SPEC.md, "Behaviour on bad input").

Each check raises a ``ValueError`` or ``TypeError`` naming the culprit
parameter or argument, before any training work, so that the estimator is left
as it was. The functions are pure (they read their arguments only), except
:func:`check_before_training`, which reads the parameters of the estimator it
is given, and :func:`physical_memory`, which asks the operating system.

Where they are called: :class:`IntervalNotBool` in the parameter
constraints; :func:`check_labels` at the top of the classifiers'
``_check_target``; :func:`check_class_weight` and :func:`apply_class_weight`
in their ``_apply_class_weights``; :func:`check_weight_sum` in
``BaseNetwork._sample_weight``; :func:`check_before_training` in
``BaseNetwork._start`` once the layer sizes are known, before the parameters
are initialised; and :func:`check_split_weights` right after the
early-stopping split (``BaseNetwork._split``).
"""

import math
import os
import sys
from numbers import Number, Real

import numpy as np
from sklearn.utils._param_validation import Interval
from sklearn.utils.class_weight import compute_sample_weight

# -- parameter constraints -------------------------------------------------------------


class IntervalNotBool(Interval):
    """scikit-learn's ``Interval`` without ``True`` and ``False``.

    ``bool`` is a subclass of ``int``, so ``Interval(Integral, 1, None)``
    takes ``batch_size=True`` for a batch of one row. This constraint refuses
    Python and NumPy booleans and is otherwise the same.
    """

    def is_satisfied_by(self, val):
        if isinstance(val, (bool, np.bool_)):
            return False
        return super().is_satisfied_by(val)

    def __str__(self):
        return super().__str__().replace("an int", "an int (not a bool)", 1)


# -- the target ------------------------------------------------------------------------


def _label_kind(label_type):
    """``"string"``, ``"bytes"``, ``"number"`` or ``None`` (anything else)."""
    if issubclass(label_type, str):
        return "string"
    if issubclass(label_type, bytes):
        return "bytes"
    if issubclass(label_type, Number):
        return "number"
    return None


def check_labels(y, classes=None):
    """Refuse class labels in ``y`` (and in ``partial_fit``'s ``classes``)
    that mix strings and numbers, or are neither.

    NumPy cannot sort such labels (``'<' not supported between 'int' and
    'str'``), so neither ``np.unique`` nor scikit-learn's target checks can
    say what is wrong. Only object arrays can mix them.

    Raises
    ------
    TypeError
        Naming ``y`` (or ``classes``) and an example label of each kind.
    """
    for name, labels in (("y", y), ("classes", classes)):
        labels = np.asarray([] if labels is None else labels)
        if labels.dtype != object:
            continue
        labels = labels.ravel().tolist()
        kinds = {_label_kind(t) for t in set(map(type, labels))}
        if len(kinds) == 1 and None not in kinds:
            continue
        examples = {}
        for label in labels:
            examples.setdefault(_label_kind(type(label)), label)
        if None in examples:
            odd = examples[None]
            raise TypeError(
                f"{name} has a label {odd!r} of type {type(odd).__name__}: "
                "class labels must be all strings or all numbers."
            )
        if len(examples) > 1:
            kinds = " and ".join(
                f"{kind}s (e.g. {label!r})" for kind, label in examples.items()
            )
            raise TypeError(
                f"{name} mixes {kinds} as class labels: they must be all "
                "strings or all numbers."
            )


# -- sample and class weights ----------------------------------------------------------


def _class_weight_key(label):
    """The key scikit-learn's ``compute_class_weight`` looks ``label`` up by."""
    try:
        return int(label)
    except (ValueError, TypeError, OverflowError):
        return str(label)


def check_class_weight(class_weight, classes):
    """Check a ``class_weight`` dict against the ``classes`` of the fit.

    Keys must be class labels (as given, or as scikit-learn looks them up:
    ``int(label)``, else ``str(label)``); values real non-bool numbers, finite
    and ``>= 0``; and not every class may get weight 0 (a class without a key
    gets 1). ``None`` and ``"balanced"`` pass: the parameter constraints
    allow nothing else.

    Raises
    ------
    ValueError or TypeError
        Naming ``class_weight`` and the offending key or value.
    """
    if not isinstance(class_weight, dict):
        return
    labels = list(classes.tolist())
    known = set(labels) | {_class_weight_key(c) for c in labels}
    unknown = [key for key in class_weight if key not in known]
    if unknown:
        raise ValueError(
            f"class_weight has keys {unknown!r} that are not among the classes "
            f"{labels!r}."
        )
    for key, value in class_weight.items():
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, Real):
            raise TypeError(
                f"class_weight[{key!r}] = {value!r} is not a number: class "
                "weights must be real numbers >= 0."
            )
        if not (math.isfinite(value) and value >= 0):
            raise ValueError(
                f"class_weight[{key!r}] = {value!r}: class weights must be "
                "finite and >= 0."
            )
    weights = [
        class_weight.get(_class_weight_key(c), class_weight.get(c, 1)) for c in labels
    ]
    if not any(w > 0 for w in weights):
        raise ValueError(
            f"class_weight={class_weight!r} gives every class weight 0: at "
            "least one class needs a positive weight."
        )


def check_weight_sum(sample_weight, name="sample_weight"):
    """Refuse weights whose sum overflows their dtype.

    The cost and the gradients divide by ``sum(sample_weight)``; an infinite
    sum turns them into NaN. Only the ratios of the weights (and
    ``alpha / sum(sample_weight)``) matter, so they can be scaled down.

    Raises
    ------
    ValueError
        Naming ``name``.
    """
    with np.errstate(over="ignore", invalid="ignore"):
        total = sample_weight.sum()
    if not np.isfinite(total):
        raise ValueError(
            f"{name} sums to {total}, beyond the largest {sample_weight.dtype} "
            f"({np.finfo(sample_weight.dtype).max:.3g}): divide the weights (and "
            "alpha) by a common factor."
        )


def _class_weights(y, class_weight):
    """Each sample's weight from ``class_weight``, ``"balanced"`` or a dict.

    A dict is read as scikit-learn's ``compute_class_weight`` reads it (the
    key ``int(label)``, else ``str(label)``; then the label itself; a class
    without a key gets 1), but without its error for keys of classes that
    ``y`` lacks: a ``partial_fit`` batch may hold one class only.
    """
    if isinstance(class_weight, str):
        return compute_sample_weight(class_weight, y)
    classes, index = np.unique(y, return_inverse=True)
    weights = [
        class_weight.get(_class_weight_key(c), class_weight.get(c, 1))
        for c in classes.tolist()
    ]
    return np.asarray(weights, dtype=np.float64)[index]


def apply_class_weight(sample_weight, y, class_weight):
    """``sample_weight`` times the class weight of each sample's label in
    ``y``, in the dtype of ``sample_weight``.

    The product must have a finite sum, and a positive one if
    ``sample_weight`` has.

    Raises
    ------
    ValueError
        Naming ``class_weight``.
    """
    dtype = sample_weight.dtype
    with np.errstate(over="ignore", invalid="ignore", under="ignore"):
        weighted = sample_weight * _class_weights(y, class_weight).astype(dtype)
        total = weighted.sum()
    if not np.isfinite(total):
        raise ValueError(
            f"class_weight={class_weight!r} times sample_weight is not finite in "
            f"{dtype} (the weights sum to {total}): scale the class weights down."
        )
    if not total > 0 and sample_weight.sum() > 0:
        raise ValueError(
            f"class_weight={class_weight!r} gives weight 0 to every sample with a "
            "positive sample_weight: at least one of them needs a positive "
            "class weight."
        )
    return weighted


# -- step sizes ------------------------------------------------------------------------


def check_learning_rates(
    learning_rate, learning_rate_decay, first_epoch, n_epochs, dtype
):
    """The smallest learning rate of a fit, after checking that every rate is
    a normal float of ``dtype``.

    Epoch ``e`` uses ``learning_rate / (1 + learning_rate_decay * e)``, for
    ``e = first_epoch, ..., first_epoch + n_epochs - 1`` (``first_epoch`` is
    the ``n_iter_`` of an earlier fit that is continued). The rate only
    decreases, so the last epoch's is the smallest. A rate below the smallest
    normal float (``np.finfo(dtype).tiny``) is zero or subnormal: the updates
    are lost to underflow and dividing by the rate overflows.

    Raises
    ------
    ValueError
        Naming ``learning_rate`` if it is too small already, else
        ``learning_rate_decay``.
    """
    tiny = float(np.finfo(dtype).tiny)
    where = f"the smallest normal {np.dtype(dtype).name}"
    if not learning_rate >= tiny:
        raise ValueError(
            f"learning_rate={learning_rate!r} is below {tiny:.4g}, {where}: the "
            "updates would be lost to underflow. Use a larger learning_rate."
        )
    last = first_epoch + n_epochs - 1
    smallest = float(learning_rate) / (1 + float(learning_rate_decay) * last)
    if not (math.isfinite(smallest) and smallest >= tiny):
        largest = (learning_rate / tiny - 1) / max(last, 1)
        raise ValueError(
            f"learning_rate_decay={learning_rate_decay!r} makes the learning rate "
            f"of epoch {last}, learning_rate / (1 + learning_rate_decay * {last}) "
            f"= {smallest:.4g}, smaller than {tiny:.4g}, {where}. Use a "
            f"learning_rate_decay of at most {largest:.4g}."
        )
    return smallest


#: ``learning_rate * alpha / sum(sample_weight)`` beyond which each solver
#: diverges on the L2 penalty alone (see :func:`check_alpha`).
STABILITY_BOUNDS = {
    "gd": lambda momentum: 2.0,
    "momentum": lambda momentum: 2.0 * (1 + momentum) / (1 - momentum),
}


def check_alpha(alpha, learning_rate, weight_sum, solver, momentum, dtype):
    """Refuse an L2 penalty ``alpha`` that cannot be trained.

    With ``k = alpha / sum(sample_weight)`` the cost gains ``k/2 ||W||^2`` and
    the gradient ``k W``. The rules:

    1. ``k / 2`` and ``k`` must be finite in ``dtype`` (weights of order 1
       then give a finite cost and gradient).
    2. ``solver="gd"``: the penalty adds ``k`` to the curvature of the cost
       along every weight of the output layer, where the cross-entropy is
       convex, so the Hessian's largest eigenvalue is at least ``k``.
       Gradient descent with step ``lr`` is stable at a minimum only if
       ``lr * eigenvalue < 2``: with ``lr * k > 2`` no minimum is stable, and
       for logistic regression (Hessian ``>= k I`` everywhere) every update
       moves further than the last. ``solver="momentum"`` (``v := beta v +
       (1 - beta) dW``, heavy-ball with step ``lr (1 - beta)``) is stable only
       if ``lr * k < 2 (1 + beta) / (1 - beta)``. ``lr`` is the smallest
       learning rate of the fit (``learning_rate`` is passed that), and
       mini-batches divide by less than ``sum(sample_weight)``, so the rule
       only refuses fits in which every update diverges. Adam scales its
       steps by the gradient's size: only rule 1 applies.

    Raises
    ------
    ValueError
        Naming ``alpha`` (and ``learning_rate`` for rule 2).
    """
    if not alpha:
        return
    finfo = np.finfo(dtype)
    with np.errstate(over="ignore"):
        k = float(np.float64(alpha) / weight_sum)
    if not (math.isfinite(k) and k <= float(finfo.max)):
        raise ValueError(
            f"alpha={alpha!r} is too large: alpha / sum(sample_weight) = {k:.4g} "
            f"overflows {np.dtype(dtype).name}. Use a smaller alpha (or larger "
            "sample weights)."
        )
    bound = STABILITY_BOUNDS.get(solver)
    if bound is not None and learning_rate * k > bound(momentum):
        limit = bound(momentum)
        raise ValueError(
            f"alpha={alpha!r} is too large for learning_rate: the L2 penalty "
            f"alone makes solver={solver!r} diverge, as learning_rate * alpha / "
            f"sum(sample_weight) = {learning_rate:.4g} * {alpha!r} / "
            f"{float(weight_sum):.4g} = {learning_rate * k:.4g} exceeds {limit:.4g} "
            "(with the smallest learning rate of the fit). Use alpha < "
            f"{limit * float(weight_sum) / learning_rate:.4g} or a smaller "
            "learning_rate."
        )


# -- memory ----------------------------------------------------------------------------


def physical_memory():
    """Bytes of physical memory of this machine.

    ``SC_PAGE_SIZE * SC_PHYS_PAGES`` where ``os.sysconf`` knows them (Linux,
    macOS); else the address space, ``sys.maxsize``, which no allocation can
    exceed either.
    """
    try:
        size = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        return sys.maxsize
    return size if size > 0 else sys.maxsize


def _format_bytes(n):
    for unit in ("bytes", "KB", "MB", "GB", "TB", "PB"):
        if n < 1000 or unit == "PB":
            return f"{n:.3g} {unit}" if unit != "bytes" else f"{n} bytes"
        n /= 1000
    return None  # pragma: no cover


def fit_bytes(layer_sizes, batch_rows, itemsize):
    """Estimated bytes a fit allocates: ``(parameters, activations)``.

    Parameters, their gradients and the optimiser's state (up to two arrays
    for Adam): 4 arrays the size of all ``W[l]`` and ``b[l]``. Activations:
    3 buffers (``Z``, ``A``, ``dZ``) of ``batch_rows`` rows per layer.
    """
    n_params = sum(
        (n_in + 1) * n_out
        for n_in, n_out in zip(layer_sizes[:-1], layer_sizes[1:], strict=True)
    )
    n_units = sum(layer_sizes[1:])
    return 4 * n_params * itemsize, 3 * batch_rows * n_units * itemsize


def check_memory(layer_sizes, batch_rows, batch_size, itemsize, available=None):
    """Refuse a network whose buffers (:func:`fit_bytes`) exceed the
    machine's physical memory (``available``, by default
    :func:`physical_memory`): it would end in a ``MemoryError`` or swapping.

    Raises
    ------
    ValueError
        Naming ``hidden_layer_sizes`` when even one row at a time is too
        much, else ``batch_size`` and how many rows would fit.
    """
    available = physical_memory() if available is None else available
    params, activations = fit_bytes(layer_sizes, batch_rows, itemsize)
    if params + activations <= available:
        return
    hidden = tuple(layer_sizes[1:-1])
    n_units = sum(layer_sizes[1:])
    memory = f"more than the {_format_bytes(available)} of memory of this machine"
    per_row = fit_bytes(layer_sizes, 1, itemsize)[1]
    if params + per_row > available:
        raise ValueError(
            f"hidden_layer_sizes={hidden!r} with {layer_sizes[0]} features needs "
            f"about {_format_bytes(params + activations)} to train "
            f"({params // (4 * itemsize)} parameters, each with a gradient and "
            f"optimiser state, and {n_units} units for each of {batch_rows} "
            f"rows), {memory}. Use fewer or narrower hidden layers."
        )
    raise ValueError(
        f"batch_size={batch_size!r} trains on {batch_rows} rows at once; with "
        f"hidden_layer_sizes={hidden!r} their activations need about "
        f"{_format_bytes(activations)} (3 buffers x {batch_rows} rows x "
        f"{n_units} units), {memory}. Use batch_size <= "
        f"{(available - params) // per_row} or narrower hidden layers."
    )


# -- early stopping's validation split -------------------------------------------------


def check_validation_split(y, validation_fraction):
    """Check, before splitting, that early stopping's stratified split of the
    labels ``y`` can give the training part and the held-out part (``ceil(
    validation_fraction * n)`` rows, as ``train_test_split`` takes) at least
    one row of each class.

    Raises
    ------
    ValueError
        Naming ``validation_fraction``, the row counts and the class.
    """
    n = len(y)
    labels, counts = np.unique(y, return_counts=True)
    n_classes = len(labels)
    n_val = math.ceil(validation_fraction * n)
    n_train = n - n_val
    rarest = int(np.argmin(counts))
    split = (
        "early_stopping's stratified split "
        f"(validation_fraction={validation_fraction!r})"
    )
    if counts[rarest] < 2:
        raise ValueError(
            f"{split} needs at least 2 rows of each class, one to train on and "
            f"one to validate on; class {labels[rarest].item()!r} has "
            f"{counts[rarest]} of the {n} rows. Give more rows or set "
            "early_stopping=False."
        )
    if n_val < n_classes:
        raise ValueError(
            f"{split} holds out {n_val} of the {n} rows; it needs at least "
            f"{n_classes}, one of each class. Use validation_fraction > "
            f"{n_classes - 1}/{n}."
        )
    if n_train < n_classes:
        raise ValueError(
            f"{split} leaves {n_train} of the {n} rows to train on; it needs at "
            f"least {n_classes}, one of each class. Use validation_fraction <= "
            f"{n - n_classes}/{n}."
        )


def check_unstratified_split(n, validation_fraction):
    """Early stopping's split of ``n`` rows without classes (the regressor)
    must leave at least one row on each side."""
    n_val = math.ceil(validation_fraction * n)
    if not 1 <= n_val <= n - 1:
        raise ValueError(
            f"early_stopping's split (validation_fraction={validation_fraction!r}) "
            f"holds out {n_val} of the {n} rows; it needs at least one row on "
            "each side. Give more rows or change validation_fraction."
        )


def check_split_weights(train_weight, validation_weight, validation_fraction):
    """Check, after early stopping's split, that both parts have a positive
    total weight: the training cost and the validation loss divide by it.

    Raises
    ------
    ValueError
        Naming ``sample_weight`` and ``validation_fraction``.
    """
    parts = (
        ("held out for validation", validation_weight),
        ("left to train on", train_weight),
    )
    for part, weight in parts:
        if not weight.sum() > 0:
            raise ValueError(
                f"early_stopping: the {weight.shape[0]} rows {part} "
                f"(validation_fraction={validation_fraction!r}) all have weight 0 "
                "(sample_weight times class_weight). Give some of them a "
                "positive sample_weight, change validation_fraction or "
                "random_state, or set early_stopping=False."
            )


# -- all checks that need the validated data -------------------------------------------


def check_before_training(
    estimator,
    X,
    y,
    sample_weight,
    layer_sizes,
    continuing,
    incremental,
    batch_rows,
    stratified,
):
    """Run the checks that need the validated ``X``, the labels ``y``, the
    weights and the layer sizes, before the parameters are initialised.

    ``continuing`` is a warm start or a later ``partial_fit`` (the epochs then
    go on from ``n_iter_``); ``incremental`` is ``partial_fit`` (one epoch,
    no early stopping); ``batch_rows`` the rows of one update; ``stratified``
    whether early stopping's split keeps the class shares (the classifiers).
    """
    est = estimator
    if est.early_stopping and not incremental:
        if stratified:
            check_validation_split(y, est.validation_fraction)
        else:
            check_unstratified_split(len(y), est.validation_fraction)
    first_epoch = getattr(est, "n_iter_", 0) if continuing else 0
    n_epochs = 1 if incremental else est.max_iter
    smallest = check_learning_rates(
        est.learning_rate, est.learning_rate_decay, first_epoch, n_epochs, X.dtype
    )
    check_alpha(
        est.alpha, smallest, sample_weight.sum(), est.solver, est.momentum, X.dtype
    )
    rows = batch_rows
    chunks = getattr(X, "chunks", None)  # a dask array: one row block at a time
    if chunks:
        rows = min(rows, max(chunks[0]))
    check_memory(layer_sizes, rows, est.batch_size, X.dtype.itemsize)
