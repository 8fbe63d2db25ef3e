from typing import Any, Optional, Sequence

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin

from . import Model

class DocClassifier(ClassifierMixin, BaseEstimator):
    model_: Model
    classes_: np.ndarray
    multilabel_: bool
    def __init__(
        self,
        c: float = 10.0,
        ngrams: int = 1,
        min_df: Any = 2,
        max_df: Any = 0.5,
        balanced: bool = False,
        tune_thresholds: Optional[int] = None,
        threshold: float = 0.5,
        stop_words: bool = True,
        stemming: bool = True,
        numbers: bool = True,
        lang: str = "auto",
        seed: int = 0,
        max_iter: int = 1000,
        classes: Optional[Sequence[str]] = None,
    ) -> None: ...
    def fit(self, X: Sequence[str], y: Any) -> "DocClassifier": ...
    def predict(self, X: Sequence[str]) -> np.ndarray: ...
    def predict_proba(self, X: Sequence[str]) -> np.ndarray: ...
    def decision_function(self, X: Sequence[str]) -> np.ndarray: ...
    def score(self, X: Sequence[str], y: Any, sample_weight: Any = None) -> float: ...
