"""``skdnn._recommended.tabular_params``: the setting for tabular data is
accepted by the three deep estimators, and on data where the course's
defaults predict one class it predicts both and ranks as well as
MLPClassifier's defaults (within a point of ROC AUC), as
``benchmarks/tabular.py`` measured on more data."""

import warnings

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, make_classification, make_friedman1
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import r2_score, roc_auc_score
from sklearn.model_selection import KFold, StratifiedKFold
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skdnn import DeepBinaryClassifier, DeepClassifier, DeepRegressor
from skdnn._recommended import tabular_params


def _imbalanced():
    """95/5 classes, 10 uninformative columns of 20."""
    return make_classification(
        1_500,
        20,
        n_informative=6,
        n_redundant=4,
        weights=[0.95],
        flip_y=0.01,
        random_state=0,
    )


DATA = {
    "breast_cancer": lambda: load_breast_cancer(return_X_y=True),
    "imbalanced_95": _imbalanced,
}


def _fit(estimator, X, y):
    pipe = make_pipeline(StandardScaler(), estimator)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return pipe.fit(X, y)


def test_a_fresh_dict_that_every_deep_estimator_accepts():
    params = tabular_params(569, 30)
    assert params["solver"] == "lbfgs" and params["alpha"] == 10.0
    params["alpha"] = 0.0
    assert tabular_params(569, 30)["alpha"] == 10.0
    for estimator in (DeepClassifier, DeepBinaryClassifier, DeepRegressor):
        assert estimator(**tabular_params(10, 3)).get_params()["max_iter"] == 100


@pytest.mark.parametrize("bad", [0, -3, 2.5, True, None, "100"])
def test_a_shape_that_is_not_a_positive_integer_is_refused(bad):
    with pytest.raises(ValueError, match="n_samples must be a positive integer"):
        tabular_params(bad, 3)
    with pytest.raises(ValueError, match="n_features must be a positive integer"):
        tabular_params(3, bad)


def test_the_binary_and_the_general_classifier_give_the_same_model():
    X, y = load_breast_cancer(return_X_y=True)
    params = tabular_params(*X.shape)
    binary = _fit(DeepBinaryClassifier(**params, random_state=0), X, y)
    general = _fit(DeepClassifier(**params, random_state=0), X, y)
    np.testing.assert_array_equal(binary.predict_proba(X), general.predict_proba(X))


def test_the_course_defaults_predict_one_class_on_the_imbalanced_set():
    """The premise: the test below is on data where the defaults fail."""
    X, y = _imbalanced()
    train, test = next(StratifiedKFold(3, shuffle=True, random_state=0).split(X, y))
    course = _fit(DeepBinaryClassifier(random_state=0), X[train], y[train])
    assert np.unique(course.predict(X[test])).size == 1


@pytest.mark.parametrize("name", DATA)
def test_both_classes_and_the_auc_of_mlp_classifier(name):
    X, y = DATA[name]()
    ours, theirs = [], []
    for train, test in StratifiedKFold(3, shuffle=True, random_state=0).split(X, y):
        params = tabular_params(len(train), X.shape[1])
        model = _fit(DeepBinaryClassifier(**params, random_state=0), X[train], y[train])
        mlp = _fit(MLPClassifier(random_state=0), X[train], y[train])
        assert np.unique(model.predict(X[test])).size == 2
        ours.append(roc_auc_score(y[test], model.predict_proba(X[test])[:, 1]))
        theirs.append(roc_auc_score(y[test], mlp.predict_proba(X[test])[:, 1]))
    assert np.mean(ours) >= np.mean(theirs) - 0.01, (ours, theirs)


def test_regression_at_least_as_good_as_mlp_regressor():
    X, y = make_friedman1(600, noise=1.0, random_state=0)
    ours, theirs = [], []
    for train, test in KFold(3, shuffle=True, random_state=0).split(X):
        params = tabular_params(len(train), X.shape[1])
        model = _fit(DeepRegressor(**params, random_state=0), X[train], y[train])
        mlp = _fit(MLPRegressor(random_state=0), X[train], y[train])
        ours.append(r2_score(y[test], model.predict(X[test])))
        theirs.append(r2_score(y[test], mlp.predict(X[test])))
    assert np.mean(ours) >= np.mean(theirs), (ours, theirs)
