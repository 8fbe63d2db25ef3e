"""A scikit-learn estimator over raw texts, backed by docclass.

    >>> from sklearn.model_selection import cross_val_score
    >>> from docclass.sklearn import DocClassifier
    >>> cross_val_score(DocClassifier(c=10), texts, labels, cv=5)

``X`` is a sequence of strings. ``y`` is one label per text (single-label), or for
multi-label data a list of label lists or a binary indicator matrix (then
``classes_`` follows its columns if ``classes`` is given, sorted labels otherwise).
Works in ``Pipeline``, ``cross_val_score`` and ``GridSearchCV`` (for multi-label data
give those the indicator matrix, e.g. from ``MultiLabelBinarizer``: scikit-learn's
splitters refuse lists of label lists).
"""
from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.validation import check_is_fitted

from . import Model, train

__all__ = ["DocClassifier"]


class DocClassifier(ClassifierMixin, BaseEstimator):
    """docclass's text pipeline and logistic regression as an estimator.

    Parameters are the CLI's training options of the same names.
    """

    def __init__(self, c=10.0, ngrams=1, min_df=2, max_df=0.5, balanced=False,
                 tune_thresholds=None, threshold=0.5, stop_words=True, stemming=True,
                 numbers=True, lang="auto", seed=0, max_iter=1000, classes=None):
        self.c = c
        self.ngrams = ngrams
        self.min_df = min_df
        self.max_df = max_df
        self.balanced = balanced
        self.tune_thresholds = tune_thresholds
        self.threshold = threshold
        self.stop_words = stop_words
        self.stemming = stemming
        self.numbers = numbers
        self.lang = lang
        self.seed = seed
        self.max_iter = max_iter
        self.classes = classes

    def _options(self):
        options = dict(c=float(self.c), ngrams=int(self.ngrams), min_df=self.min_df,
                       max_df=self.max_df, balanced=bool(self.balanced),
                       stop_words=bool(self.stop_words), stemming=bool(self.stemming),
                       numbers=bool(self.numbers), lang=str(self.lang), seed=int(self.seed),
                       max_iter=int(self.max_iter))
        if self.tune_thresholds:
            options["tune_thresholds"] = int(self.tune_thresholds)
        else:
            options["threshold"] = float(self.threshold)
        return options

    @staticmethod
    def _texts(X):
        if isinstance(X, str):
            raise ValueError("X must be a sequence of texts, not one string")
        texts = list(X.tolist() if hasattr(X, "tolist") else X)
        texts = [t.item() if isinstance(t, np.generic) else t for t in texts]
        if not all(isinstance(t, str) for t in texts):
            raise ValueError("X must hold texts (str); docclass reads raw text, not features")
        return texts

    def fit(self, X, y):
        texts = self._texts(X)
        y_array = np.asarray(y, dtype=object) if not isinstance(y, list) else None
        if y_array is not None and y_array.ndim == 2:
            # Binary indicator matrix.
            indicator = np.asarray(y)
            names = list(self.classes) if self.classes is not None else [str(i) for i in range(indicator.shape[1])]
            labels = [[names[j] for j in np.flatnonzero(row)] for row in indicator]
            self.multilabel_, self._indicator_names = True, names
        elif len(y) and not isinstance(y[0], str) and hasattr(y[0], "__iter__"):
            labels = [list(map(str, l)) for l in y]
            self.multilabel_, self._indicator_names = True, None
        else:
            labels = [[str(l)] for l in y]
            self.multilabel_, self._indicator_names = False, None
        if len(labels) != len(texts):
            raise ValueError(f"{len(texts)} texts but {len(labels)} labels")
        options = self._options()
        options["multi_label"] = self.multilabel_
        self.model_ = train(texts, labels, **options)
        model_labels = self.model_.labels
        if self._indicator_names is not None:
            # Columns follow the indicator matrix; a column without any
            # positive document is not in the model and scores 0.
            self.classes_ = np.asarray(self._indicator_names, dtype=object)
            self._columns = [model_labels.index(n) if n in model_labels else None for n in self._indicator_names]
        else:
            self.classes_ = np.asarray(model_labels, dtype=object)
            self._columns = None
        return self

    def _reorder(self, matrix):
        if self._columns is None:
            return matrix
        zeros = np.zeros(matrix.shape[0], dtype=matrix.dtype)
        return np.stack([matrix[:, i] if i is not None else zeros for i in self._columns], axis=1)

    def predict_proba(self, X):
        """Scores, columns in ``classes_`` order."""
        check_is_fitted(self, "model_")
        return self._reorder(self.model_.predict_proba(self._texts(X)))

    def decision_function(self, X):
        """The log-odds of ``predict_proba``."""
        p = np.clip(self.predict_proba(X), 1e-12, 1 - 1e-12)
        return np.log(p) - np.log1p(-p)

    def predict(self, X):
        """Labels (single-label) or a binary indicator matrix over ``classes_``
        (multi-label), as scikit-learn's multi-label metrics expect."""
        check_is_fitted(self, "model_")
        predicted = self.model_.predict(self._texts(X))
        if not self.multilabel_:
            return np.asarray(predicted, dtype=object)
        model_labels = self.model_.labels
        index = {l: i for i, l in enumerate(model_labels)}
        out = np.zeros((len(predicted), len(model_labels)), dtype=int)
        for row, labels in enumerate(predicted):
            for l in labels:
                out[row, index[l]] = 1
        return self._reorder(out)

    def score(self, X, y, sample_weight=None):
        """Accuracy for single-label data; micro F1 for multi-label data."""
        if not getattr(self, "multilabel_", False):
            return super().score(X, y, sample_weight=sample_weight)
        from sklearn.metrics import f1_score
        from sklearn.preprocessing import MultiLabelBinarizer

        predicted = self.predict(X)
        y_array = np.asarray(y, dtype=object) if not isinstance(y, list) else None
        if y_array is None or y_array.ndim != 2:
            binarizer = MultiLabelBinarizer(classes=list(self.classes_))
            truth = binarizer.fit_transform([list(l) for l in y])
        else:
            truth = np.asarray(y)
        return f1_score(truth, predicted, average="micro", sample_weight=sample_weight, zero_division=0)
