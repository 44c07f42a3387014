"""skdnn: the deep-learning course's NumPy networks as scikit-learn estimators."""

from ._deep import DeepBinaryClassifier, DeepClassifier, DeepRegressor
from ._logistic import LogisticRegressionGD
from ._to_onnx import to_onnx
from .persistence import load_model, save_model

__version__ = "0.1.0.dev0"

__all__ = [
    "DeepBinaryClassifier",
    "DeepClassifier",
    "DeepRegressor",
    "LogisticRegressionGD",
    "load_model",
    "save_model",
    "to_onnx",
    "__version__",
]
