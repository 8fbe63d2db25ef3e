"""The Python package against the CLI and against scikit-learn's contracts.

Run by scripts/test (README "The two commands"), after `cargo build --release`
and `pip install ./python`. DOCCLASS_BIN names the CLI to compare with.
"""
import json
import os
import subprocess
import threading
from pathlib import Path

import numpy as np
import pytest

import docclass

ROOT = Path(__file__).resolve().parents[2]
BIN = os.environ.get("DOCCLASS_BIN", str(ROOT / "target" / "release" / "docclass"))
HELDOUT = ROOT / "tests" / "fixtures" / "genres-heldout.jsonl"
PROGRAMS = ROOT / "training" / "programs.jsonl"


def rows(path):
    return [json.loads(l) for l in path.read_text(encoding="utf-8").splitlines() if l.strip()]


def cli(*args, stdin=None):
    out = subprocess.run([BIN, "-q", *args], input=stdin, capture_output=True, text=True, check=False)
    assert out.returncode in (0, 1), out.stderr
    return [json.loads(l) for l in out.stdout.splitlines()]


def test_records_are_exactly_the_clis():
    data = rows(HELDOUT)
    model = docclass.Model.default()
    got = model.classify([r["text"] for r in data], [r["id"] for r in data])
    assert got == cli("classify", str(HELDOUT))
    # Empty texts are accounted for as the CLI does.
    assert model.classify(["", "  "]) == [{"id": "0", "labels": [], "empty": True}, {"id": "1", "labels": [], "empty": True}]


def test_scores_predictions_and_explanations_agree():
    data = rows(HELDOUT)[:20]
    texts = [r["text"] for r in data]
    model = docclass.Model.default()
    proba = model.predict_proba(texts)
    assert isinstance(proba, np.ndarray) and proba.shape == (20, len(model.labels))
    records = model.classify(texts)
    for row, record in zip(proba, records):
        assert [round(x, 6) for x in row] == [record["scores"][l] for l in model.labels]
    assert model.predict(texts) == [r["labels"] for r in records]
    x = model.explain(texts[0], top=5)
    assert {l["label"] for l in x["labels"]} == set(model.labels)
    for l in x["labels"]:
        total = l["intercept"] + sum(c["weight"] for c in l["up"] + l["down"]) + l["other_terms"]
        assert abs(total - l["linear_score"]) < 1e-9


def test_model_round_trip_and_card(tmp_path):
    model = docclass.Model.default()
    path = tmp_path / "m.bin"
    model.save(path)
    assert path.read_bytes() == (ROOT / "models" / "programs.model.bin").read_bytes()
    again = docclass.Model.load(path)
    texts = [r["text"] for r in rows(HELDOUT)[:10]]
    assert again.classify(texts) == model.classify(texts)
    card = model.card(top=5)
    assert card["labels"] == model.labels and card["vocabulary_size"] > 1000
    assert set(model.thresholds) == set(model.labels)
    assert 0 < model.relevance_threshold < 1
    strict = model.with_thresholds(trade=0.99)
    assert strict.thresholds["trade"] == 0.99 and model.thresholds["trade"] != 0.99


def test_training_in_python_matches_the_cli(tmp_path):
    data = rows(PROGRAMS)[::3]
    path = tmp_path / "train.jsonl"
    path.write_text("".join(json.dumps({"id": str(i), "text": r["text"], "labels": r["labels"]}) + "\n" for i, r in enumerate(data)), encoding="utf-8")
    model_path = tmp_path / "cli.model"
    subprocess.run([BIN, "-q", "train", "--data", str(path), "--multi-label", "--c", "10", "--out", str(model_path)], check=True)
    py = docclass.train([r["text"] for r in data], [r["labels"] for r in data], multi_label=True, c=10)
    from_cli = docclass.Model.load(model_path)
    texts = [r["text"] for r in rows(HELDOUT)]
    assert py.classify(texts) == from_cli.classify(texts)
    report = docclass.cv([r["text"] for r in data], [r["labels"] for r in data], folds=3, multi_label=True)
    assert 0.5 < report["macro_f1"]["mean"] <= 1.0
    words = tmp_path / "words.txt"
    words.write_text("seminar\nofficials\n", encoding="utf-8")
    stopped_path = tmp_path / "stopped.model"
    subprocess.run([BIN, "-q", "train", "--data", str(path), "--multi-label", "--c", "10", "--label-stop-words", str(words), "--out", str(stopped_path)], check=True)
    stopped = docclass.train([r["text"] for r in data], [r["labels"] for r in data], multi_label=True, c=10, label_stop_words=["seminar", "officials"])
    assert stopped.classify(texts) == docclass.Model.load(stopped_path).classify(texts)
    assert stopped.classify(texts) != py.classify(texts)


def test_classify_frame_round_trip():
    pd = pytest.importorskip("pandas")
    data = rows(HELDOUT)[:15]
    df = pd.DataFrame({"doc": [r["id"] for r in data], "body": [r["text"] for r in data]}, index=range(100, 115))
    model = docclass.Model.default()
    out = docclass.classify_frame(df, text="body", id="doc", model=model)
    assert list(out.index) == list(df.index)
    assert list(out.columns) == ["id", "labels", *model.labels, "relevance", "empty"]
    assert out[model.labels].dtypes.map(lambda t: t.kind == "f").all()
    records = model.classify(df["body"], df["doc"])
    assert out["labels"].tolist() == [r["labels"] for r in records]
    assert out["trade"].tolist() == [r["scores"]["trade"] for r in records]
    missing = docclass.classify_frame(pd.DataFrame({"text": [None, float("nan"), "port seminar"]}), model=model)
    assert missing["empty"].tolist() == [True, True, False]


def test_errors_are_python_exceptions(tmp_path):
    with pytest.raises(OSError):
        docclass.Model.load(tmp_path / "missing.model")
    bad = tmp_path / "bad.model"
    bad.write_bytes(b"not a model at all")
    with pytest.raises(ValueError, match="not a docclass model"):
        docclass.Model.load(bad)
    with pytest.raises(ValueError, match="at least two labels"):
        docclass.train(["a port seminar", "another port seminar"], ["trade", "trade"])
    with pytest.raises(ValueError, match="unknown training option"):
        docclass.train(["a", "b"], ["x", "y"], colour="red")
    with pytest.raises(TypeError):
        docclass.Model.default().classify([1, 2])
    with pytest.raises(TypeError):
        docclass.Model.default().classify("one string")
    with pytest.raises(ValueError, match="no label 'nolabel'"):
        docclass.Model.default().with_thresholds(nolabel=0.5)


def test_threads_give_the_same_results():
    texts = [r["text"] for r in rows(HELDOUT)]
    model = docclass.Model.default()
    expected = model.classify(texts)
    results = [None] * 4

    def work(i):
        results[i] = model.classify(texts)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(r == expected for r in results)
