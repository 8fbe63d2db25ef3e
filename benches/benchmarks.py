#!/usr/bin/env python3
"""docclass and scikit-learn side by side on three public benchmarks, in one run.

    python3 benches/benchmarks.py [20news] [reuters] [fudan]     # default: all three

Needs scikit-learn and joblib (pip install scikit-learn joblib) and a release build
(cargo build --release). Data: $DOCCLASS_20NEWS (20news-bydate folder), $DOCCLASS_REUTERS
(reuters21578-modapte: train.jsonl, test.jsonl), $DOCCLASS_FUDAN (fudan-tc20), by default
the folders in ../shared/datasets/.

Each tool trains on the train split and labels the test split in separate processes,
under /usr/bin/time (wall seconds, peak RSS); quality is computed here from the written
predictions, the same code for both tools. The scikit-learn pipelines are the usual
strong baselines for each set:
- 20 Newsgroups: ../shared/bench/sklearn_baseline.py (TF-IDF unigrams, multinomial LR, C=10);
- Reuters (multi-label): TF-IDF 1-2 grams, one-vs-rest LR, C=10, threshold 0.5;
- Fudan (Chinese): TF-IDF character 1-2 grams, multinomial LR, C=10.
docclass runs with the settings its README recommends for each kind of data.
Output: a Markdown table, and ratios docclass / scikit-learn (below 1: docclass faster).
"""
import json
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.path.join(ROOT, "..", "shared")
DOCCLASS = os.path.join(ROOT, "target", "release", "docclass")
DATA = {
    "20news": os.environ.get("DOCCLASS_20NEWS", os.path.join(SHARED, "datasets", "20news-bydate")),
    "reuters": os.environ.get("DOCCLASS_REUTERS", os.path.join(SHARED, "datasets", "reuters21578-modapte")),
    "fudan": os.environ.get("DOCCLASS_FUDAN", os.path.join(SHARED, "datasets", "fudan-tc20")),
}
BASELINE = os.environ.get("DOCCLASS_SKLEARN_BASELINE", os.path.join(SHARED, "bench", "sklearn_baseline.py"))

# docclass settings per set (see README "Benchmarks").
DOCCLASS_TRAIN = {
    "20news": [],
    "reuters": ["--multi-label", "--tune-thresholds", "--balanced"],
    "fudan": ["--balanced", "--c", "100"],
}


def splits(name):
    root = DATA[name]
    if name == "20news":
        return os.path.join(root, "train"), os.path.join(root, "test")
    return os.path.join(root, "train.jsonl"), os.path.join(root, "test.jsonl")


def timed(cmd, **kw):
    """Wall seconds and peak RSS (MiB) of one process."""
    start = time.perf_counter()
    out = subprocess.run(["/usr/bin/time", "-f", "%M"] + cmd, capture_output=True, text=True, **kw)
    wall = time.perf_counter() - start
    if out.returncode not in (0, 1):
        sys.exit(f"failed: {' '.join(cmd)}\n{out.stderr[-2000:]}")
    return wall, int(out.stderr.strip().splitlines()[-1]) / 1024


def truth(name, test):
    """Document id -> set of true labels, in the order ids are written."""
    if name == "20news":
        out = {}
        for label in sorted(os.listdir(test)):
            for f in sorted(os.listdir(os.path.join(test, label))):
                out[os.path.join(test, label, f)] = {label}
        return out
    out = {}
    with open(test, encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            out[str(r["id"])] = set(r.get("labels") or [])
    return out


def scores(gold, predicted, labels):
    """accuracy (exact set), micro F1, macro F1 over `labels`."""
    exact = sum(1 for i in gold if predicted.get(i, set()) == gold[i]) / len(gold)
    tp = {l: 0 for l in labels}
    fp = dict(tp)
    fn = dict(tp)
    for i, g in gold.items():
        p = predicted.get(i, set())
        for l in labels:
            if l in p and l in g:
                tp[l] += 1
            elif l in p:
                fp[l] += 1
            elif l in g:
                fn[l] += 1
    f1 = lambda t, a, b: 0.0 if t == 0 else 2 * t / (2 * t + a + b)
    micro = f1(sum(tp.values()), sum(fp.values()), sum(fn.values()))
    macro = sum(f1(tp[l], fp[l], fn[l]) for l in labels) / len(labels)
    return exact, micro, macro


def run_docclass(name, work):
    train, test = splits(name)
    model = os.path.join(work, f"{name}.model")
    out = os.path.join(work, f"{name}.docclass.jsonl")
    t_train, m_train = timed([DOCCLASS, "-q", "train", "--data", train, "--out", model] + DOCCLASS_TRAIN[name])
    if name == "20news":
        t_cls, m_cls = timed([DOCCLASS, "-q", "classify", "--model", model, test, "--out", out])
    else:
        t_cls, m_cls = timed([DOCCLASS, "-q", "classify", "--model", model, "--input-format", "jsonl", test, "--out", out])
    predicted = {}
    with open(out, encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            predicted[r["id"]] = set(r.get("labels") or [])
    return t_train, m_train, t_cls, m_cls, predicted


SKLEARN_TRAIN = r"""
import json, sys, joblib
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.multiclass import OneVsRestClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MultiLabelBinarizer
name, data, model = sys.argv[1:4]
rows = [json.loads(l) for l in open(data, encoding="utf-8") if l.strip()]
texts = [r["text"] for r in rows]
if name == "reuters":
    mlb = MultiLabelBinarizer()
    y = mlb.fit_transform([r.get("labels") or [] for r in rows])
    pipe = make_pipeline(TfidfVectorizer(sublinear_tf=True, min_df=2, max_df=0.5, stop_words="english", ngram_range=(1, 2)),
                         OneVsRestClassifier(LogisticRegression(C=10, max_iter=1000)))
    pipe.fit(texts, y)
    joblib.dump((pipe, list(mlb.classes_)), model)
else:
    pipe = make_pipeline(TfidfVectorizer(sublinear_tf=True, min_df=2, max_df=0.5, analyzer="char", ngram_range=(1, 2)),
                         LogisticRegression(C=10, max_iter=1000))
    pipe.fit(texts, [(r.get("labels") or [""])[0] for r in rows])
    joblib.dump((pipe, None), model)
"""

SKLEARN_CLASSIFY = r"""
import json, sys, joblib
model, data, out = sys.argv[1:4]
pipe, classes = joblib.load(model)
rows = [json.loads(l) for l in open(data, encoding="utf-8") if l.strip()]
texts = [r["text"] for r in rows]
with open(out, "w", encoding="utf-8") as f:
    if classes is None:
        for r, p in zip(rows, pipe.predict(texts)):
            f.write(json.dumps({"id": str(r["id"]), "labels": [p]}) + "\n")
    else:
        for r, p in zip(rows, pipe.predict_proba(texts)):
            f.write(json.dumps({"id": str(r["id"]), "labels": [c for c, s in zip(classes, p) if s >= 0.5]}) + "\n")
"""


def run_sklearn(name, work):
    train, test = splits(name)
    model = os.path.join(work, f"{name}.joblib")
    out = os.path.join(work, f"{name}.sklearn.jsonl")
    if name == "20news":
        t_train, m_train = timed([sys.executable, BASELINE, "train", train, model])
        t_cls, m_cls = timed([sys.executable, BASELINE, "classify", model, test, out])
    else:
        t_train, m_train = timed([sys.executable, "-c", SKLEARN_TRAIN, name, train, model])
        t_cls, m_cls = timed([sys.executable, "-c", SKLEARN_CLASSIFY, model, test, out])
    predicted = {}
    with open(out, encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            labels = r.get("labels")
            if labels is None:
                labels = [r.get("label")] if r.get("label") else []
            predicted[str(r["id"])] = set(labels)
    return t_train, m_train, t_cls, m_cls, predicted


def main():
    names = [a for a in sys.argv[1:] if a in DATA] or list(DATA)
    for path in [DOCCLASS, BASELINE] + [DATA[n] for n in names]:
        if not os.path.exists(path):
            sys.exit(f"{path} not found (see the docstring of {sys.argv[0]})")
    print("| set | tool | accuracy | micro F1 | macro F1 | train wall | train peak RSS | classify wall | classify peak RSS |")
    print("|---|---|---|---|---|---|---|---|---|")
    ratios = []
    with tempfile.TemporaryDirectory() as work:
        for name in names:
            gold = truth(name, splits(name)[1])
            if name == "20news":
                gold = {os.path.normpath(k): v for k, v in gold.items()}
            labels = sorted({l for g in gold.values() for l in g})
            results = {}
            for tool, run in (("docclass", run_docclass), ("scikit-learn", run_sklearn)):
                t_train, m_train, t_cls, m_cls, predicted = run(name, work)
                if name == "20news":
                    # Ids are file paths, spelled as each tool walked them.
                    predicted = {os.path.normpath(k): v for k, v in predicted.items()}
                acc, micro, macro = scores(gold, predicted, labels)
                results[tool] = (t_train, m_train, t_cls, m_cls)
                print(f"| {name} | {tool} | {acc:.4f} | {micro:.4f} | {macro:.4f} | {t_train:.1f} s | "
                      f"{m_train:.0f} MiB | {t_cls:.1f} s | {m_cls:.0f} MiB |", flush=True)
            d, s = results["docclass"], results["scikit-learn"]
            ratios.append(f"{name}: train time {d[0] / s[0]:.2f}x, train memory {d[1] / s[1]:.2f}x, "
                          f"classify time {d[2] / s[2]:.2f}x, classify memory {d[3] / s[3]:.2f}x")
    print()
    print("docclass / scikit-learn:")
    for r in ratios:
        print(f"- {r}")


if __name__ == "__main__":
    main()
