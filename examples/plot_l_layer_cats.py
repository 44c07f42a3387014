"""
===================================
A deep network for the cat pictures
===================================

The course's "Deep Neural Network for Image Classification: Application",
retold with :class:`skdnn.DeepBinaryClassifier`. The course first trains a
2-layer network (one hidden layer of 7 units), then an L-layer network
``[12288, 20, 7, 5, 1]``, both for 2500 iterations with learning rate 0.0075
and ``np.random.seed(1)``; ``random_state=1`` draws the same weights, so the
numbers are the course's: the 2-layer network gets 72 % of the test pictures
right, the L-layer one 80 %. Last, the test pictures the L-layer network gets
wrong.

The pictures are read from ``catvnoncat/`` under ``--data-home``,
``$SKDNN_DATA`` or ``~/skdnn_data``. The figures are written to
``--output-dir`` (default: ``$SKDNN_OUTPUT_DIR``, else the current folder)::

    python plot_l_layer_cats.py --output-dir figures
"""

import argparse
import math
import os
import sys
from pathlib import Path

import matplotlib.pyplot as plt

from skdnn import DeepBinaryClassifier
from skdnn.datasets import load_catvnoncat
from skdnn.plot import LossCurveDisplay

parser = argparse.ArgumentParser(description="A deep network for the cats.")
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
# ``data`` is the course's input: one row of 12288 values in [0, 1] per
# picture. ``images`` keeps the pictures themselves, to look at them later.
try:
    train = load_catvnoncat("train", data_home=args.data_home)
    test = load_catvnoncat("test", data_home=args.data_home)
except FileNotFoundError as exc:
    sys.exit(
        f"{parser.prog}: this example needs the course's cat pictures: pass "
        f"--data-home or set SKDNN_DATA.\n{exc}"
    )

# %%
# Two networks
# ------------
# The course's ``two_layer_model`` starts from ``randn * 0.01``
# (``init="random"``); its ``L_layer_model`` divides by the square root of
# the layer's input size (``init="xavier"``, the default). Every other
# default (``learning_rate=0.0075``, ``max_iter=2500``, ReLU hidden layers)
# is the course's.
models = {
    "2-layer (7,)": DeepBinaryClassifier((7,), init="random", random_state=1),
    "L-layer (20, 7, 5)": DeepBinaryClassifier(random_state=1),
}
for name, clf in models.items():
    clf.fit(train.data, train.target)
    print(
        f"{name}: train accuracy {clf.score(train.data, train.target):.3f}, "
        f"test accuracy {clf.score(test.data, test.target):.2f}"
    )

# %%
# Both costs fall from about 0.7 towards zero; with the same learning rate on
# both curves, the title gives it, as in the course's figures.
_, ax = plt.subplots()
for name, clf in models.items():
    LossCurveDisplay.from_estimator(clf, ax=ax, name=name)
ax.figure.savefig(args.output_dir / "l_layer_cats_cost.png")

# %%
# The pictures it gets wrong
# --------------------------
# The course lists what makes a picture hard for the network: a cat in an
# unusual position, against a background of the same colour, of an unusual
# colour or species, seen from an odd angle, too bright or too dark, very
# large or very small in the picture. Most of the ten mistakes here go the
# other way, though: pictures without a cat (three butterflies among
# them) taken for cats.
clf = models["L-layer (20, 7, 5)"]
predicted = clf.predict(test.data)
wrong = (predicted != test.target).nonzero()[0]
print(f"{len(wrong)} of {len(test.target)} test pictures are mislabelled")

n_cols = max(1, min(5, len(wrong)))
n_rows = max(1, math.ceil(len(wrong) / n_cols))
fig, axes = plt.subplots(
    n_rows,
    n_cols,
    figsize=(2.2 * n_cols, 2.8 * n_rows),
    squeeze=False,
    layout="constrained",
)
for ax in axes.flat:
    ax.set_axis_off()
for ax, i in zip(axes.flat[: len(wrong)], wrong, strict=True):
    ax.imshow(test.images[i])
    ax.set_title(
        f"true: {test.target_names[test.target[i]]}\n"
        f"predicted: {test.target_names[predicted[i]]}",
        fontsize=9,
    )
fig.suptitle("Test pictures the L-layer network gets wrong")
fig.savefig(args.output_dir / "l_layer_cats_mislabeled.png")
