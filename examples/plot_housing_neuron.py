"""
=============================
The housing-price neuron
=============================

The course opens with the smallest neural network there is: one neuron that
takes the size of a house, computes a linear function of it, takes the
maximum with zero ("a price cannot be negative") and outputs the price::

    size -> [w * size + b] -> max(0, .) -> price

The ``max(0, .)`` is the ReLU, the Rectified Linear Unit. In skdnn the
neuron is :class:`skdnn.DeepRegressor` with no hidden layer and a ReLU
output, ``DeepRegressor((), out_activation="relu")``, trained on the squared
error. Here it learns the prices of 100 made-up houses,
``price = max(0, 150 size - 100)`` plus noise, with the course's gradient
descent.

The figures are written to ``--output-dir`` (default:
``$SKDNN_OUTPUT_DIR``, else the current folder)::

    python plot_housing_neuron.py --output-dir figures
"""

import argparse
import os
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from skdnn import DeepRegressor
from skdnn.plot import LossCurveDisplay

parser = argparse.ArgumentParser(description="The housing-price neuron.")
parser.add_argument(
    "--output-dir",
    type=Path,
    default=os.environ.get("SKDNN_OUTPUT_DIR", "."),
    help="folder for the figures (default: $SKDNN_OUTPUT_DIR or the current one)",
)
args = parser.parse_args()
args.output_dir.mkdir(parents=True, exist_ok=True)

# %%
# The houses
# ----------
# Sizes between 500 and 3000 square feet (in thousands), prices in thousands
# of dollars: 150 per thousand square feet above 667, nothing below, plus
# noise of standard deviation 10 (which makes a few of the smallest houses'
# prices slightly negative). One feature, so ``X`` is a single column.
rng = np.random.default_rng(0)
size = rng.uniform(0.5, 3.0, 100)
price = np.maximum(0, 150 * size - 100) + rng.normal(0, 10, size.shape)
X = size.reshape(-1, 1)

# %%
# One neuron
# ----------
# ``hidden_layer_sizes=()`` leaves only the output layer: one weight ``w``,
# one bias ``b``. ``solver="gd"`` with ``batch_size=None`` is the course's
# full-batch gradient descent; ``tol`` stops it once the cost has not
# improved for ten iterations. The bias of a ReLU output starts at the mean
# price (see the last section for why that matters).
neuron = DeepRegressor(
    (),
    out_activation="relu",
    solver="gd",
    learning_rate=0.1,
    batch_size=None,
    max_iter=2000,
    random_state=0,
)
neuron.fit(X, price)
w, b = neuron.coefs_[0].item(), neuron.intercepts_[0].item()
print(f"w = {w:.1f}, b = {b:.1f} (true: 150, -100)")
print(f"R^2 = {neuron.score(X, price):.4f} after {neuron.n_iter_} iterations")

# %%
# The data and the fit: zero for the small houses, then a straight line.
grid = np.linspace(0.4, 3.1, 200).reshape(-1, 1)
fig, ax = plt.subplots()
ax.scatter(size, price, s=12, color="tab:gray", label="houses")
ax.plot(grid, neuron.predict(grid), color="tab:blue", label="neuron")
ax.plot(
    grid,
    np.maximum(0, 150 * grid - 100),
    color="tab:orange",
    linestyle="--",
    label="max(0, 150 size - 100)",
)
ax.set_xlabel("size (thousands of square feet)")
ax.set_ylabel("price (thousands of dollars)")
ax.set_title(f"price = max(0, {w:.1f} size {'-' if b < 0 else '+'} {abs(b):.1f})")
ax.legend()
fig.savefig(args.output_dir / "housing_neuron_fit.png")

# %%
# The cost, as the course draws it: half the mean squared error, every 100
# iterations. It levels off near half the variance of the noise
# (``10**2 / 2 = 50``), which no neuron can explain.
print(f"final cost {neuron.loss_:.1f}")
_, ax = plt.subplots()
LossCurveDisplay.from_estimator(neuron, ax=ax, name="one ReLU neuron")
ax.set_yscale("log")
ax.figure.savefig(args.output_dir / "housing_neuron_cost.png")

# %%
# A dead neuron
# -------------
# The ReLU's gradient is zero wherever ``w size + b < 0``. Had the bias
# started at zero, as the course's initialisation does, ``random_state=2``
# would draw a negative ``w`` and the neuron would output 0 for every house
# and get no gradient: gradient descent could not move it. So a ReLU output
# starts with its bias at the target's mean, and every seed learns; put the
# neuron where it is off everywhere and it stays there.
alive = DeepRegressor(
    (),
    out_activation="relu",
    solver="gd",
    learning_rate=0.1,
    batch_size=None,
    max_iter=2000,
    random_state=2,
).fit(X, price)
print(
    f"random_state=2: w = {alive.coefs_[0].item():.2f}, "
    f"R^2 = {alive.score(X, price):.2f} after {alive.n_iter_} iterations"
)
alive.intercepts_[0][...] = -1000.0  # off for every house
alive.set_params(warm_start=True, max_iter=50).fit(X, price)
print(f"switched off: R^2 = {alive.score(X, price):.2f}")
