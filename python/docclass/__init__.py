"""docclass in Python: the same models, records and numbers as the ``docclass`` CLI.

    >>> import docclass
    >>> model = docclass.Model.default()
    >>> model.classify(["Seminar on port management for officials of developing countries"])
    [{'id': '0', 'labels': ['trade'], 'scores': {...}, 'relevance': ...}]

Batch calls release the GIL and use every core. Errors from the Rust library are
``ValueError`` (bad data, settings or model file) or ``OSError`` (files).
"""
from __future__ import annotations

import json
import os
from typing import Any, Dict, Iterable, List, Optional, Sequence, Union

from . import _docclass

__all__ = ["Model", "train", "cv", "classify_frame", "__version__"]
__version__ = _docclass.__version__


def _texts(texts: Union[str, Iterable[str]]) -> List[str]:
    if isinstance(texts, str):
        raise TypeError("expected a list of texts, got one string: wrap it in a list")
    out = list(texts)
    for i, t in enumerate(out):
        if not isinstance(t, str):
            raise TypeError(f"text {i} is {type(t).__name__}, not str")
    return out


class Model:
    """A trained docclass model: text analysis, TF-IDF, logistic regression and
    (for models trained with background documents) a relevance gate.

    Create one with :meth:`Model.default`, :meth:`Model.load` or :func:`train`.
    """

    __slots__ = ("_inner",)

    def __init__(self, inner: "_docclass.Model"):
        self._inner = inner

    @staticmethod
    def default() -> "Model":
        """The model embedded in docclass (governance / trade / intelligence)."""
        return Model(_docclass.Model.default())

    @staticmethod
    def load(path: Union[str, "os.PathLike[str]"]) -> "Model":
        """A model file written by ``docclass train`` or :meth:`save`."""
        return Model(_docclass.Model.load(str(path)))

    def save(self, path: Union[str, "os.PathLike[str]"]) -> None:
        """Writes the model file atomically (the same bytes the CLI writes)."""
        self._inner.save(str(path))

    @property
    def labels(self) -> List[str]:
        """Label names, in the order of score columns."""
        return self._inner.labels

    @property
    def thresholds(self) -> Dict[str, float]:
        """Decision threshold of each label (multi-label models)."""
        return dict(zip(self._inner.labels, self._inner.thresholds))

    @property
    def multi_label(self) -> bool:
        return self._inner.multi_label

    @property
    def relevance_threshold(self) -> Optional[float]:
        """Below this relevance a document gets no label; None without a gate."""
        return self._inner.relevance_threshold

    def with_thresholds(self, **thresholds: float) -> "Model":
        """A copy with some thresholds changed, e.g. ``trade=0.6, relevance=0.3``
        (the CLI's ``--threshold``)."""
        return Model(self._inner.with_thresholds(list(thresholds.items())))

    def card(self, top: int = 25) -> Dict[str, Any]:
        """The model card, as ``docclass inspect --json`` prints it."""
        return json.loads(self._inner.card_json(top))

    def classify(self, texts: Iterable[str], ids: Optional[Iterable[Any]] = None) -> List[Dict[str, Any]]:
        """One record per text, exactly the fields of ``docclass classify``:
        ``id``, ``labels``, ``scores`` (label -> score, 6 decimals), ``relevance``
        (gated models), ``empty`` for texts without words. Ids default to the
        position ("0", "1", ...)."""
        texts = _texts(texts)
        ids = [str(i) for i in range(len(texts))] if ids is None else [str(i) for i in ids]
        return [json.loads(r) for r in self._inner.classify_json(texts, ids)]

    def predict_proba(self, texts: Iterable[str]):
        """Scores as a ``numpy.ndarray`` of shape (texts, labels), full precision;
        for a gated model each is relevance x the label's probability."""
        import numpy as np

        texts = _texts(texts)
        rows = self._inner.predict_proba(texts)
        return np.asarray(rows, dtype=float).reshape(len(texts), len(self.labels))

    def predict(self, texts: Iterable[str]) -> List[Any]:
        """Assigned labels: a list of labels per text (multi-label models) or
        one label per text (single-label models)."""
        labels = self._inner.labels
        picked = self._inner.predict_indices(_texts(texts))
        if self.multi_label:
            return [[labels[c] for c in p] for p in picked]
        return [labels[p[0]] if p else None for p in picked]

    def explain(self, text: str, top: int = 10) -> Dict[str, Any]:
        """Why ``text`` got its scores: per label the intercept, the ``top``
        terms pushing it up and down (with the document's words), the rest
        summed as ``other_terms``, and the evidence sentences."""
        if not isinstance(text, str):
            raise TypeError("explain takes one text")
        return json.loads(self._inner.explain_json(text, top))

    def __repr__(self) -> str:
        return repr(self._inner)


def _label_lists(labels: Sequence[Any]) -> List[List[str]]:
    out = []
    for i, l in enumerate(labels):
        if isinstance(l, str):
            out.append([l])
        elif l is None:
            out.append([])
        else:
            items = list(l)
            if not all(isinstance(x, str) for x in items):
                raise TypeError(f"labels of document {i} must be strings")
            out.append(items)
    return out


def train(texts: Iterable[str], labels: Sequence[Any], background: Optional[Iterable[str]] = None, **options: Any) -> Model:
    """Trains a model, as ``docclass train`` does.

    ``labels``: one label per text, or a list of labels per text (multi-label).
    ``background``: texts from outside the domain, for a relevance gate.
    ``options``: the CLI's training options by name: ``c``, ``multi_label``,
    ``ngrams``, ``min_df``, ``max_df``, ``max_features``, ``lang``, ``seed``,
    ``balanced``, ``tune_thresholds`` (folds), ``threshold``, ``stop_words``,
    ``stemming``, ``numbers``, ``fold_chinese``, ``sublinear_tf``, ``max_iter``,
    ``sentence_labels``, ``relevance_threshold``, ``label_stop_words`` (a list
    of words the labels ignore and the relevance gate keeps).
    """
    texts = _texts(texts)
    bg = None if background is None else _texts(background)
    return Model(_docclass.train(texts, _label_lists(labels), bg, options))


def cv(texts: Iterable[str], labels: Sequence[Any], folds: int = 5, **options: Any) -> Dict[str, Any]:
    """k-fold cross-validation of one setting, as ``docclass cv``: mean and
    standard deviation over folds of accuracy, micro and macro F1 and each
    label's F1."""
    return json.loads(_docclass.cv(_texts(texts), _label_lists(labels), folds, options))


def classify_frame(df, text: str = "text", id: Optional[str] = None, model: Optional[Model] = None):
    """A ``pandas.DataFrame`` with one row per row of ``df``, in order: ``id``,
    ``labels`` (list), one float column per label score, ``relevance`` (gated
    models) and ``empty``. ``df``'s index is kept."""
    import pandas as pd

    model = model or Model.default()
    # Missing texts (None, NaN) are empty documents, not the text "nan".
    texts = ["" if pd.isna(v) else str(v) for v in df[text].tolist()]
    ids = df[id].astype(str).tolist() if id is not None else [str(i) for i in df.index]
    records = model.classify(texts, ids)
    columns: Dict[str, list] = {"id": [r["id"] for r in records], "labels": [r.get("labels", []) for r in records]}
    for label in model.labels:
        columns[label] = [r["scores"][label] if "scores" in r else float("nan") for r in records]
    if model.relevance_threshold is not None:
        columns["relevance"] = [r.get("relevance", float("nan")) for r in records]
    columns["empty"] = [bool(r.get("empty", False)) for r in records]
    return pd.DataFrame(columns, index=df.index)
