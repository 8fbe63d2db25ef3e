#!/usr/bin/env python3
"""Side-by-side speed and memory of docclass and scikit-learn on 20 Newsgroups.

Run from the repository root (needs scikit-learn; see README "Tests and benchmarks"):

    python3 benches/compare_sklearn.py            # whole-process train/classify, eval
    python3 benches/compare_sklearn.py --vectorizer   # also in-process fit_transform (runs cargo bench)

Both tools run on the same split, machine and settings (scikit-learn's through
../shared/bench/sklearn_baseline.py). Every process is run REPEAT times and the
median wall time kept; peak memory is the maximum resident set size reported
by /usr/bin/time. Output: a Markdown table of times, ratios (docclass /
scikit-learn: below 1 means docclass is faster) and accuracy.
"""
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.environ.get("DOCCLASS_20NEWS", os.path.join(ROOT, "..", "shared", "datasets", "20news-bydate"))
BASELINE = os.environ.get("DOCCLASS_SKLEARN_BASELINE", os.path.join(ROOT, "..", "shared", "bench", "sklearn_baseline.py"))
for path, variable in ((DATA, "DOCCLASS_20NEWS"), (BASELINE, "DOCCLASS_SKLEARN_BASELINE")):
    if not os.path.exists(path):
        sys.exit(f"{path} not found: set {variable} (see README \"Proof on 20 Newsgroups\")")
DOCCLASS = os.path.join(ROOT, "target", "release", "docclass")
REPEAT = int(os.environ.get("REPEAT", "3"))


def timed(cmd):
    """Median wall seconds and max peak RSS (MiB) of REPEAT runs of cmd."""
    walls, peaks = [], []
    for _ in range(REPEAT):
        start = time.perf_counter()
        out = subprocess.run(["/usr/bin/time", "-f", "%M"] + cmd, capture_output=True, text=True)
        walls.append(time.perf_counter() - start)
        if out.returncode != 0:
            sys.exit(f"failed: {' '.join(cmd)}\n{out.stderr}")
        peaks.append(int(out.stderr.strip().splitlines()[-1]) / 1024)
    return statistics.median(walls), max(peaks)


def sklearn_fit_transform_seconds():
    from sklearn.datasets import load_files
    from sklearn.feature_extraction.text import TfidfVectorizer
    docs = load_files(os.path.join(DATA, "train"), encoding="latin1").data
    best = []
    for _ in range(REPEAT):
        vec = TfidfVectorizer(sublinear_tf=True, min_df=2, max_df=0.5, stop_words="english")
        start = time.perf_counter()
        vec.fit_transform(docs)
        best.append(time.perf_counter() - start)
    return statistics.median(best)


def docclass_fit_transform_seconds():
    subprocess.run(["cargo", "bench", "--bench", "pipeline", "--", "fit_transform"], cwd=ROOT,
                   check=True, capture_output=True)
    path = os.path.join(ROOT, "target", "criterion", "20news-train", "fit_transform", "new", "estimates.json")
    with open(path) as f:
        return json.load(f)["median"]["point_estimate"] / 1e9


def main():
    if not os.path.isdir(os.path.join(DATA, "train")):
        print(f"skipped: no 20 Newsgroups data at {DATA}")
        return
    subprocess.run(["cargo", "build", "--release"], cwd=ROOT, check=True, capture_output=True)
    train, test = os.path.join(DATA, "train"), os.path.join(DATA, "test")
    tmp = tempfile.mkdtemp()
    ours_model, theirs_model = os.path.join(tmp, "20news.model"), os.path.join(tmp, "20news.joblib")
    rows = []
    t_ours = timed([DOCCLASS, "train", "--data", train, "--out", ours_model])
    t_theirs = timed([sys.executable, BASELINE, "train", train, theirs_model])
    rows.append(("train (11,314 docs)", t_ours, t_theirs))
    t_ours = timed([DOCCLASS, "classify", "--model", ours_model, "--out", os.path.join(tmp, "ours.jsonl"), test])
    t_theirs = timed([sys.executable, BASELINE, "classify", theirs_model, test, os.path.join(tmp, "theirs.jsonl")])
    rows.append(("classify (7,532 docs)", t_ours, t_theirs))

    print("| step | docclass | scikit-learn | time ratio | peak memory docclass | peak memory scikit-learn | memory ratio |")
    print("|---|---|---|---|---|---|---|")
    for name, (w1, m1), (w2, m2) in rows:
        print(f"| {name} | {w1:.2f} s | {w2:.2f} s | {w1 / w2:.3f} (1/{w2 / w1:.1f}) | {m1:.0f} MiB | {m2:.0f} MiB | {m1 / m2:.2f} |")
    if "--vectorizer" in sys.argv:
        ours, theirs = docclass_fit_transform_seconds(), sklearn_fit_transform_seconds()
        print(f"| TfidfVectorizer fit_transform, in process | {ours:.3f} s | {theirs:.3f} s | "
              f"{ours / theirs:.3f} (1/{theirs / ours:.1f}) | | | |")

    ours = subprocess.run([DOCCLASS, "eval", "--json", "--model", ours_model, "--data", test],
                          capture_output=True, text=True, check=True)
    r = json.loads(ours.stdout)
    theirs = subprocess.run([sys.executable, BASELINE, "eval", theirs_model, test],
                            capture_output=True, text=True, check=True).stdout.split()
    print()
    print("| test split | accuracy | macro F1 |")
    print("|---|---|---|")
    print(f"| docclass | {r['accuracy']:.4f} | {r['macro_f1']:.4f} |")
    print(f"| scikit-learn | {float(theirs[1]):.4f} | {float(theirs[3]):.4f} |")


if __name__ == "__main__":
    main()
