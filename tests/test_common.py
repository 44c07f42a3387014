"""scikit-learn's own estimator checks, over all four estimators and the
TabularEncoder, with no expected failures. Binary-only is declared through
the estimator tags; the encoder's tags declare NaN, strings and categories."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from skdnn import (
    DeepBinaryClassifier,
    DeepClassifier,
    DeepRegressor,
    LogisticRegressionGD,
)
from skdnn.preprocessing import TabularEncoder


@parametrize_with_checks(
    [
        DeepBinaryClassifier(),
        LogisticRegressionGD(),
        DeepClassifier(),
        DeepRegressor(),
        TabularEncoder(),
    ]
)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
