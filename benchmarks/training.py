"""Training side by side with MLPClassifier on two datasets that ship with
scikit-learn: 5-fold cross-validated accuracy and mean fit time, with matching
settings (MLPClassifier's defaults, and the course's full-batch gradient
descent). Run ``python -m benchmarks.training``; prints a Markdown table."""

import warnings

from sklearn.datasets import load_breast_cancer, load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import StratifiedKFold, cross_validate
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skdnn import DeepBinaryClassifier


def datasets():
    X, y = load_breast_cancer(return_X_y=True)
    yield "breast_cancer (569 x 30)", X, y
    X, y = load_digits(return_X_y=True)
    yield "digits, 0-4 vs 5-9 (1797 x 64)", X, (y >= 5).astype(int)


SETTINGS = {
    "adam, mini-batches (MLPClassifier's defaults)": (
        dict(
            hidden_layer_sizes=(100,),
            activation="relu",
            solver="adam",
            learning_rate=0.001,
            batch_size=200,
            alpha=1e-4,
            max_iter=200,
            tol=1e-4,
            n_iter_no_change=10,
        ),
        dict(
            hidden_layer_sizes=(100,),
            activation="relu",
            solver="adam",
            learning_rate_init=0.001,
            batch_size=200,
            alpha=1e-4,
            max_iter=200,
            tol=1e-4,
            n_iter_no_change=10,
        ),
    ),
    "full-batch gradient descent (the course's)": (
        dict(
            hidden_layer_sizes=(20, 7, 5),
            solver="gd",
            learning_rate=0.05,
            max_iter=1000,
        ),
        dict(
            hidden_layer_sizes=(20, 7, 5),
            solver="sgd",
            momentum=0,
            learning_rate_init=0.05,
            batch_size=10**9,
            alpha=0,
            max_iter=1000,
            shuffle=False,
            tol=0,
            n_iter_no_change=10**9,
        ),
    ),
}


def main():
    warnings.simplefilter("ignore", ConvergenceWarning)
    # MLPClassifier clips batch_size=10**9 to the sample size, and says so
    warnings.filterwarnings("ignore", message="Got `batch_size`")
    print("| data | settings | estimator | CV accuracy | fit time (s, mean of 5) |")
    print("|---|---|---|---|---|")
    for data_name, X, y in datasets():
        folds = StratifiedKFold(5, shuffle=True, random_state=0)
        for setting, (ours, theirs) in SETTINGS.items():
            for name, est in [
                (
                    "skdnn DeepBinaryClassifier",
                    DeepBinaryClassifier(random_state=0, **ours),
                ),
                ("MLPClassifier", MLPClassifier(random_state=0, **theirs)),
            ]:
                res = cross_validate(
                    make_pipeline(StandardScaler(), est), X, y, cv=folds
                )
                acc, seconds = res["test_score"], res["fit_time"].mean()
                print(
                    f"| {data_name} | {setting} | {name} "
                    f"| {acc.mean():.4f} ± {acc.std():.4f} | {seconds:.3f} |"
                )


if __name__ == "__main__":
    main()
