"""The ``skdnn`` command line.

``skdnn train`` runs the main job on built-in data: it cross-validates a
``StandardScaler`` + network pipeline on scikit-learn's breast-cancer data,
then trains it on the training split, printing the cost as it goes, and
reports the accuracy on the held-out split.
"""

import argparse
import sys

import numpy as np
from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import StratifiedKFold, cross_val_score, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from . import DeepBinaryClassifier, LogisticRegressionGD, __version__
from .activations import ACTIVATIONS


def _layer_sizes(text):
    """Parse ``"20,7,5"`` (or ``""`` for no hidden layer) into a tuple."""
    try:
        sizes = tuple(int(part) for part in text.replace(" ", "").split(",") if part)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated integers such as 20,7,5; got {text!r}"
        ) from None
    if any(n < 1 for n in sizes):
        raise argparse.ArgumentTypeError(f"layer sizes must be positive; got {text!r}")
    return sizes


def build_parser():
    """The argument parser of ``skdnn`` (also used to document the CLI)."""
    parser = argparse.ArgumentParser(
        prog="skdnn",
        description="The deep-learning course's networks as scikit-learn estimators.",
    )
    parser.add_argument("--version", action="version", version=f"skdnn {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    train = commands.add_parser(
        "train",
        help="cross-validate, train and evaluate a model on built-in data",
        description=(
            "Cross-validate StandardScaler + a network on scikit-learn's "
            "breast-cancer data, train it on the training split (printing the "
            "cost) and report the held-out accuracy."
        ),
    )
    train.add_argument(
        "--model",
        choices=["deep", "logistic"],
        default="deep",
        help="DeepBinaryClassifier or LogisticRegressionGD (default: deep)",
    )
    train.add_argument(
        "--hidden-layer-sizes",
        type=_layer_sizes,
        default=(20, 7, 5),
        metavar="N,N,...",
        help="widths of the hidden layers of the deep model (default: 20,7,5)",
    )
    train.add_argument(
        "--activation",
        choices=sorted(ACTIVATIONS),
        default="relu",
        help="hidden activation of the deep model (default: relu)",
    )
    train.add_argument(
        "--learning-rate",
        type=float,
        default=None,
        help="step size of gradient descent (default: the model's, "
        "0.0075 deep / 0.005 logistic)",
    )
    train.add_argument(
        "--alpha", type=float, default=0.0, help="L2 penalty (default: 0)"
    )
    train.add_argument(
        "--max-iter",
        type=int,
        default=None,
        help="iterations of gradient descent (default: the model's, "
        "2500 deep / 2000 logistic)",
    )
    train.add_argument(
        "--cv", type=int, default=5, help="cross-validation folds (default: 5)"
    )
    train.add_argument(
        "--test-size",
        type=float,
        default=0.25,
        help="fraction of the data held out for the final accuracy (default: 0.25)",
    )
    train.add_argument(
        "--random-state",
        type=int,
        default=0,
        help="seed of the split, the folds and the weights (default: 0)",
    )
    train.set_defaults(handler=_train)
    return parser


def _make_model(args):
    params = {"alpha": args.alpha, "random_state": args.random_state}
    if args.learning_rate is not None:
        params["learning_rate"] = args.learning_rate
    if args.max_iter is not None:
        params["max_iter"] = args.max_iter
    if args.model == "deep":
        return DeepBinaryClassifier(
            hidden_layer_sizes=args.hidden_layer_sizes,
            activation=args.activation,
            **params,
        )
    return LogisticRegressionGD(**params)


def _train(args):
    if args.cv < 2:
        raise ValueError(f"--cv must be at least 2; got {args.cv}")
    if not 0 < args.test_size < 1:
        raise ValueError(f"--test-size must be between 0 and 1; got {args.test_size}")
    X, y = load_breast_cancer(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=args.test_size, stratify=y, random_state=args.random_state
    )
    model = make_pipeline(StandardScaler(), _make_model(args))
    model[-1]._validate_params()  # a bad value fails here, before any work

    print(f"skdnn {__version__}: {model[-1]!r}")
    print(
        f"data: breast_cancer, {X.shape[0]} samples, {X.shape[1]} features; "
        f"training on {X_train.shape[0]}, holding out {X_test.shape[0]}"
    )
    folds = StratifiedKFold(args.cv, shuffle=True, random_state=args.random_state)
    scores = cross_val_score(model, X_train, y_train, cv=folds)
    print(f"{args.cv}-fold cross-validation accuracy:")
    print("  " + "  ".join(f"{s:.4f}" for s in scores))
    print(f"  mean {np.mean(scores):.4f} ± {np.std(scores):.4f}")

    print("training on the whole training split:")
    model.set_params(**{f"{model.steps[-1][0]}__verbose": 1})
    model.fit(X_train, y_train)
    correct = int((model.predict(X_test) == y_test).sum())
    print(
        f"held-out accuracy: {correct / y_test.shape[0]:.4f} "
        f"({correct}/{y_test.shape[0]})"
    )
    return 0


def main(argv=None):
    """Entry point of the ``skdnn`` console command; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.handler(args)
    except ValueError as exc:  # bad values: one line, no traceback
        print(f"skdnn {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
