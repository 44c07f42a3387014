"""
==========================================
Ten digits, next to scikit-learn's MLP
==========================================

:class:`skdnn.DeepClassifier` takes ``MLPClassifier``'s parameters, with
``learning_rate`` for its ``learning_rate_init``, and chooses its output
layer from the target: for the ten classes of scikit-learn's handwritten
digits, a softmax over ten units with the categorical cross-entropy. Here
both estimators learn the digits with the same settings, side by side: the
test accuracy, the epochs to convergence, the time of a fit, and the two
loss curves, drawn by :class:`skdnn.plot.LossCurveDisplay`.

The figures are written to ``--output-dir`` (default:
``$SKDNN_OUTPUT_DIR``, else the current folder)::

    python plot_digits_classifier.py --output-dir figures
"""

import argparse
import os
import time
from pathlib import Path

import matplotlib.pyplot as plt
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skdnn import DeepClassifier
from skdnn.plot import LossCurveDisplay

parser = argparse.ArgumentParser(description="DeepClassifier and MLPClassifier.")
parser.add_argument(
    "--output-dir",
    type=Path,
    default=os.environ.get("SKDNN_OUTPUT_DIR", "."),
    help="folder for the figures (default: $SKDNN_OUTPUT_DIR or the current one)",
)
args = parser.parse_args()
args.output_dir.mkdir(parents=True, exist_ok=True)

# %%
# The digits
# ----------
# 1797 pictures of 8 x 8 pixels, 64 features from 0 to 16, ten classes. A
# quarter is held out for testing, in the same class shares.
digits = load_digits()
X_train, X_test, y_train, y_test = train_test_split(
    digits.data, digits.target, stratify=digits.target, random_state=0
)
print(f"{len(X_train)} training and {len(X_test)} test digits, 10 classes")

# %%
# The same settings
# -----------------
# Every setting by its scikit-learn name, shared by both: one hidden layer of
# 64 ReLU units, Adam, mini-batches of 200, the L2 penalty ``alpha``, at most
# 200 epochs, and the stopping rule of ``tol``. Only the step size's name
# differs. A ``StandardScaler`` goes first in both pipelines.
settings = dict(
    hidden_layer_sizes=(64,),
    activation="relu",
    solver="adam",
    alpha=1e-4,
    batch_size=200,
    max_iter=200,
    tol=1e-4,
    random_state=0,
)
models = {
    "MLPClassifier": make_pipeline(
        StandardScaler(), MLPClassifier(learning_rate_init=0.01, **settings)
    ),
    "DeepClassifier": make_pipeline(
        StandardScaler(), DeepClassifier(learning_rate=0.01, **settings)
    ),
}

# %%
# Each pipeline is fitted three times and timed by its fastest fit (the fits
# are the same each time: ``random_state`` fixes them). The two start from
# different weights (scikit-learn draws them from Glorot's uniform
# distribution, skdnn from the course's ``randn / sqrt(n_prev)``) and place
# Adam's ``epsilon`` differently, so their paths differ a little; both stop
# when the cost has not improved by ``tol`` for ten epochs.
print(f"{'estimator':16}{'test accuracy':>15}{'epochs':>8}{'fit time':>10}")
for name, model in models.items():
    times = []
    for _ in range(3):
        start = time.perf_counter()
        model.fit(X_train, y_train)
        times.append(time.perf_counter() - start)
    net = model[-1]
    print(
        f"{name:16}{model.score(X_test, y_test):>15.3f}{net.n_iter_:>8}"
        f"{min(times):>9.2f}s"
    )

# %%
# The fitted networks have the same shapes and the same kind of output layer:
dnn, mlp = models["DeepClassifier"][-1], models["MLPClassifier"][-1]
for net in (mlp, dnn):
    print(
        f"{type(net).__name__}: coefs_ {[W.shape for W in net.coefs_]}, "
        f"out_activation_={net.out_activation_!r}, n_outputs_={net.n_outputs_}, "
        f"t_={net.t_}"
    )

# %%
# The loss curves
# ---------------
# Both record the mean cross-entropy of every epoch (plus the L2 term) in
# ``loss_curve_``, each batch's cost taken before its update;
# :class:`~skdnn.plot.LossCurveDisplay` draws either, one point per epoch
# here (``every=1``), from the pipeline or the estimator.
_, ax = plt.subplots()
for name, model in models.items():
    LossCurveDisplay.from_estimator(model, ax=ax, name=name, every=1)
ax.set_yscale("log")
ax.set_title("Ten digits, learning rate 0.01")
ax.figure.savefig(args.output_dir / "digits_classifier_loss.png")

# %%
# The digits it gets wrong
# ------------------------
# ``predict_proba`` gives the softmax's ten probabilities, and ``predict``
# the most probable class. The first ten mistakes: above each picture, the
# true digit, the prediction and its probability.
proba = models["DeepClassifier"].predict_proba(X_test)
predicted = dnn.classes_[proba.argmax(axis=1)]
wrong = (predicted != y_test).nonzero()[0]
print(f"DeepClassifier gets {len(wrong)} of {len(y_test)} test digits wrong")
wrong = wrong[:10]
fig, axes = plt.subplots(2, 5, figsize=(8, 3.8), layout="constrained")
for ax in axes.flat:
    ax.set_axis_off()
for ax, i in zip(axes.flat, wrong, strict=False):
    ax.imshow(X_test[i].reshape(8, 8), cmap="gray_r")
    ax.set_title(f"{y_test[i]} -> {predicted[i]} ({proba[i].max():.1%})", fontsize=9)
fig.suptitle("Test digits DeepClassifier gets wrong: true -> predicted")
fig.savefig(args.output_dir / "digits_classifier_mistakes.png")
