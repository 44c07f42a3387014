"""
=======================================
Logistic regression on the cat pictures
=======================================

The course's first programming assignment, "Logistic Regression with a Neural
Network mindset", retold with :class:`skdnn.LogisticRegressionGD`: the same
model (weights and bias start at zero, 2000 iterations of gradient descent
with learning rate 0.005) on the same 64 x 64 pictures, with the same
numbers: 99.04 % accuracy on the 209 training pictures, 70 % on the 50 test
pictures. Then the course's comparison of three learning rates, their costs
drawn on one axes with :class:`skdnn.plot.LossCurveDisplay`.

The pictures are read from ``catvnoncat/`` under ``--data-home``,
``$SKDNN_DATA`` or ``~/skdnn_data``. The figures are written to
``--output-dir`` (default: ``$SKDNN_OUTPUT_DIR``, else the current folder)::

    python plot_logistic_regression_cats.py --output-dir figures
"""

import argparse
import os
import sys
from pathlib import Path

import matplotlib.pyplot as plt

from skdnn import LogisticRegressionGD
from skdnn.datasets import load_catvnoncat
from skdnn.plot import LossCurveDisplay

parser = argparse.ArgumentParser(description="Logistic regression on the cats.")
parser.add_argument(
    "--output-dir",
    type=Path,
    default=os.environ.get("SKDNN_OUTPUT_DIR", "."),
    help="folder for the figures (default: $SKDNN_OUTPUT_DIR or the current one)",
)
parser.add_argument(
    "--data-home", help="folder holding catvnoncat/ (default: $SKDNN_DATA)"
)
args = parser.parse_args()
args.output_dir.mkdir(parents=True, exist_ok=True)

# %%
# The data
# --------
# Each picture becomes one row of 64 * 64 * 3 = 12288 values divided by 255,
# the course's "standardize the data set" step: ``data`` holds these rows.
try:
    train = load_catvnoncat("train", data_home=args.data_home)
    test = load_catvnoncat("test", data_home=args.data_home)
except FileNotFoundError as exc:
    sys.exit(
        f"{parser.prog}: this example needs the course's cat pictures: pass "
        f"--data-home or set SKDNN_DATA.\n{exc}"
    )

print(f"train: {train.data.shape}, test: {test.data.shape}")

# %%
# The model
# ---------
# ``LogisticRegressionGD()`` is the course's ``model()``: initialize with
# zeros, then 2000 times forward, cost, backward and update.
clf = LogisticRegressionGD().fit(train.data, train.target)
print(f"train accuracy: {100 * clf.score(train.data, train.target):.2f} %")
print(f"test accuracy: {100 * clf.score(test.data, test.target):.2f} %")

# %%
# The cost decreases at every iteration: the course's figure, one point every
# 100 iterations.
display = LossCurveDisplay.from_estimator(clf)
display.figure_.savefig(args.output_dir / "logistic_regression_cats_cost.png")

# %%
# The choice of learning rate
# ---------------------------
# The course trains the model for 1500 iterations with three learning rates
# and draws their costs together (left). The largest one, 0.01, ends with the
# lowest cost and fits the training pictures best; the smallest, 0.0001, has
# barely started. The course's figure shows one point every 100 iterations;
# every iteration (right, ``every=1``) shows what that hides: with 0.01 the
# cost jumps up and down, as high as 3.2, during the first 700 iterations
# before it settles.
_, (ax_course, ax_every) = plt.subplots(1, 2, figsize=(11, 4.5))
for learning_rate in [0.01, 0.001, 0.0001]:
    clf = LogisticRegressionGD(learning_rate=learning_rate, max_iter=1500)
    clf.fit(train.data, train.target)
    print(
        f"learning_rate={learning_rate}: "
        f"train accuracy {100 * clf.score(train.data, train.target):.2f} %, "
        f"test accuracy {100 * clf.score(test.data, test.target):.2f} %"
    )
    name = f"learning_rate={learning_rate}"
    LossCurveDisplay.from_estimator(clf, ax=ax_course, name=name)
    LossCurveDisplay.from_estimator(clf, ax=ax_every, name=name, every=1, lw=0.8)
ax_course.set_title("one point every 100 iterations (the course)")
ax_every.set_title("every iteration")
ax_course.figure.tight_layout()
ax_course.figure.savefig(
    args.output_dir / "logistic_regression_cats_learning_rates.png"
)
