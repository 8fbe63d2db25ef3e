"""docclass.sklearn.DocClassifier in scikit-learn's machinery."""
import json
from pathlib import Path

import numpy as np
import pytest

sklearn = pytest.importorskip("sklearn")
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer
from sklearn.utils import estimator_checks

from docclass.sklearn import DocClassifier

ROOT = Path(__file__).resolve().parents[2]


def corpus(single=True):
    data = [json.loads(l) for l in (ROOT / "training" / "programs.jsonl").read_text(encoding="utf-8").splitlines()]
    if single:
        data = [r for r in data if len(r["labels"]) == 1]
    return [r["text"] for r in data[:240]], [r["labels"] for r in data[:240]]


def test_cross_val_score_and_grid_search_on_single_label_data():
    texts, labels = corpus()
    y = [l[0] for l in labels]
    scores = cross_val_score(DocClassifier(), texts, y, cv=3)
    assert len(scores) == 3 and scores.mean() > 0.7
    grid = GridSearchCV(DocClassifier(), {"c": [1.0, 10.0]}, cv=3).fit(texts, y)
    assert grid.best_params_["c"] in (1.0, 10.0)
    pipe = Pipeline([("strip", FunctionTransformer(lambda xs: [x.strip() for x in xs])), ("clf", DocClassifier())])
    pipe.fit(texts, y)
    assert set(pipe.predict(texts[:5])) <= set(y)


def test_multi_label_as_lists_and_as_indicator_matrix():
    texts, labels = corpus(single=False)
    clf = DocClassifier().fit(texts, labels)
    assert list(clf.classes_) == sorted({l for ls in labels for l in ls})
    predicted = clf.predict(texts[:10])
    assert predicted.shape == (10, len(clf.classes_))
    assert clf.predict_proba(texts[:10]).shape == (10, len(clf.classes_))
    assert clf.decision_function(texts[:10]).shape == (10, len(clf.classes_))
    names = ["trade", "governance", "intelligence"]
    indicator = np.array([[int(n in ls) for n in names] for ls in labels])
    by_matrix = DocClassifier(classes=names).fit(texts, indicator)
    assert list(by_matrix.classes_) == names
    assert (by_matrix.predict(texts[:10]) == predicted[:, [list(clf.classes_).index(n) for n in names]]).all()
    # scikit-learn's splitters refuse lists of label lists ("legacy multi-label
    # representation"): model selection takes the indicator matrix.
    assert 0.5 < cross_val_score(DocClassifier(classes=names), texts, indicator, cv=3).mean() <= 1.0


def test_params_and_clone():
    clf = DocClassifier(c=3.0, ngrams=2)
    assert clf.get_params()["c"] == 3.0
    clf.set_params(c=5.0)
    assert clone(clf).get_params()["c"] == 5.0


# The estimator checks that apply to an estimator over raw text. The rest of
# sklearn.utils.estimator_checks feed numeric arrays, which a text classifier
# rejects by design (DocClassifier raises ValueError: "X must hold texts").
APPLICABLE = [
    "check_no_attributes_set_in_init",
    "check_get_params_invariance",
    "check_set_params",
    "check_parameters_default_constructible",
    "check_estimators_unfitted",
]


@pytest.mark.parametrize("check", APPLICABLE)
def test_estimator_checks_that_apply_to_text(check):
    getattr(estimator_checks, check)("DocClassifier", DocClassifier())


def test_numeric_input_is_refused_clearly():
    with pytest.raises(ValueError, match="texts"):
        DocClassifier().fit(np.zeros((4, 3)), [0, 1, 0, 1])
