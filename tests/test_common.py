"""scikit-learn's own estimator checks, over all four estimators, with no
expected failures. Binary-only is declared through the estimator tags."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from skdnn import (
    DeepBinaryClassifier,
    DeepClassifier,
    DeepRegressor,
    LogisticRegressionGD,
)


@parametrize_with_checks(
    [DeepBinaryClassifier(), LogisticRegressionGD(), DeepClassifier(), DeepRegressor()]
)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
