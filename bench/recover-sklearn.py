#!/usr/bin/python3
"""scikit-learn's side of `npm run bench:recover` (bench/recover.ts calls it).

Usage: recover-sklearn.py '{"train": "train.csv", "test": "test.csv", "uniform": "uniform.csv",
                            "target": "class", "categorical": ["a1", ...], "seed": 1}'

Reads the three CSV files (header row; the columns named in "categorical" are categorical,
the others numeric; no missing values), encodes them as the peer does (one-hot categoricals,
standardised numerics, both fitted on the training file), trains MLPClassifier(64, 32) (the
scikit-learn defaults otherwise, as the peer of shared/datasets/README.md, but trained until
it converges: max_iter 5000, not 200) and CART
(DecisionTreeClassifier, max_leaf_nodes=16) on the training file, and prints one JSON
object: the class each model gives every row of the test and uniform files, the MLP's
iterations and their bound, and CART's leaf count. The bench measures the figures itself from these, as it does for neurules.

Only numpy and scikit-learn (Debian's python3-sklearn); no pandas.
"""
import csv
import json
import sys
import warnings

import numpy as np
import sklearn
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.tree import DecisionTreeClassifier

MAX_ITER = 5000


def read(path, target):
    """The file's feature columns (header order, target excluded) and target column."""
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    header, body = rows[0], [r for r in rows[1:] if r]
    t = header.index(target)
    features = [h for i, h in enumerate(header) if i != t]
    columns = {h: [r[i] for r in body] for i, h in enumerate(header)}
    return features, columns, columns[target]


class Encoder:
    """One-hot categoricals and standardised numerics, fitted on the training columns."""

    def __init__(self, features, categorical, columns):
        self.categorical = [f for f in features if f in categorical]
        self.numeric = [f for f in features if f not in categorical]
        self.onehot = OneHotEncoder(handle_unknown="ignore")
        self.scaler = StandardScaler()
        # Each is fitted only when it has columns (MONK's attributes are all categorical).
        if self.categorical:
            self.onehot.fit(self._cat(columns))
        if self.numeric:
            self.scaler.fit(self._num(columns))

    def _cat(self, columns):
        return np.array([columns[f] for f in self.categorical], dtype=object).T

    def _num(self, columns):
        return np.array([columns[f] for f in self.numeric], dtype=float).T

    def transform(self, columns):
        parts = []
        if self.categorical:
            parts.append(self.onehot.transform(self._cat(columns)).toarray())
        if self.numeric:
            parts.append(self.scaler.transform(self._num(columns)))
        return np.hstack(parts)


def main():
    spec = json.loads(sys.argv[1])
    target, seed = spec["target"], int(spec["seed"])
    categorical = set(spec["categorical"])
    features, train, y = read(spec["train"], target)
    encoder = Encoder(features, categorical, train)
    x_train = encoder.transform(train)
    samples = {}
    for part in ("test", "uniform"):
        _, columns, _ = read(spec[part], target)
        samples[part] = encoder.transform(columns)

    # scikit-learn's defaults but max_iter: the default 200 epochs stop it before it
    # converges on MONK-2's 169 rows (0.882 instead of 0.995 on seed 1); it converges in
    # about 300-350 and then stops by its own tolerance, so the bound only lets it finish.
    # Its iterations are reported, so a run that hit the bound shows.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        mlp = MLPClassifier(hidden_layer_sizes=(64, 32), max_iter=MAX_ITER, random_state=seed)
        mlp.fit(x_train, y)
    cart = DecisionTreeClassifier(max_leaf_nodes=16, random_state=seed).fit(x_train, y)
    out = {"sklearn": sklearn.__version__}
    for name, model in (("mlp", mlp), ("cart", cart)):
        out[name] = {part: model.predict(x).tolist() for part, x in samples.items()}
    out["mlp"]["iterations"] = int(mlp.n_iter_)
    out["mlp"]["maxIterations"] = MAX_ITER
    out["cart"]["leaves"] = int(cart.get_n_leaves())
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
