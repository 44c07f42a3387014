"""One place that issues the fits' ``ConvergenceWarning``, pointed at the
user's line: the first caller outside skdnn and scikit-learn (whose
``_fit_context`` and callback wrappers sit between ``fit`` and the user)."""

import os
import sys
import warnings

import sklearn
from sklearn.exceptions import ConvergenceWarning

_LIBRARIES = (
    os.path.dirname(os.path.abspath(__file__)) + os.sep,
    os.path.dirname(os.path.abspath(sklearn.__file__)) + os.sep,
)


def caller_stacklevel():
    """The ``stacklevel`` of the first frame outside skdnn and scikit-learn,
    counted from the caller of this function (1)."""
    frame, level = sys._getframe(1), 1
    while frame is not None and frame.f_code.co_filename.startswith(_LIBRARIES):
        frame, level = frame.f_back, level + 1
    return level


def warn_convergence(message):
    """``warnings.warn(message, ConvergenceWarning)`` at the user's line."""
    warnings.warn(message, ConvergenceWarning, stacklevel=caller_stacklevel())
