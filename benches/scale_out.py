#!/usr/bin/env python3
"""Throughput per core of the four ways to run docclass at scale, and the CLI's
peak memory on a large Parquet file (README "Scale-out: Parquet and Spark").

    target/python-venv/bin/python benches/scale_out.py [DOCS] [BIG_GB]

Needs a release build, and the Python package, pyarrow and pyspark in the running
interpreter (scripts/test installs them in target/python-venv). Inputs are made of
the repository's own corpus texts, shuffled and concatenated per document (benchmark
input, not training data), written to a temporary folder and deleted afterwards.
"""
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parents[1]
DOCCLASS = ROOT / "target" / "release" / "docclass"
CORES = os.cpu_count() or 1


def corpus():
    texts = []
    for path in sorted((ROOT / "training").rglob("*.jsonl")):
        texts += [json.loads(l)["text"] for l in path.read_text(encoding="utf-8").splitlines() if l.strip()]
    return texts


def documents(n, seed=0):
    texts = corpus()
    rng = random.Random(seed)
    for i in range(n):
        yield f"doc-{i:09d}", " ".join(rng.sample(texts, 2))


def timed(cmd, **kw):
    start = time.perf_counter()
    out = subprocess.run(["/usr/bin/time", "-f", "%M"] + [str(c) for c in cmd], capture_output=True, text=True, **kw)
    if out.returncode not in (0, 1):
        sys.exit(f"failed: {cmd}\n{out.stderr[-3000:]}")
    return time.perf_counter() - start, int(out.stderr.strip().splitlines()[-1]) / 1024


def write_parquet(path, docs, rows_per_group=50_000):
    writer = None
    batch_ids, batch_texts, total = [], [], 0
    for doc_id, text in docs:
        batch_ids.append(doc_id)
        batch_texts.append(text)
        total += len(text.encode())
        if len(batch_ids) == rows_per_group:
            table = pa.table({"id": batch_ids, "text": batch_texts})
            writer = writer or pq.ParquetWriter(path, table.schema, compression="zstd")
            writer.write_table(table)
            batch_ids, batch_texts = [], []
    if batch_ids:
        table = pa.table({"id": batch_ids, "text": batch_texts})
        writer = writer or pq.ParquetWriter(path, table.schema, compression="zstd")
        writer.write_table(table)
    writer.close()
    return total


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    big_gb = float(sys.argv[2]) if len(sys.argv) > 2 else 5.0
    with tempfile.TemporaryDirectory() as work:
        work = Path(work)
        docs = list(documents(n))
        text_bytes = sum(len(t.encode()) for _, t in docs)
        with open(work / "in.jsonl", "w", encoding="utf-8") as f:
            for doc_id, text in docs:
                f.write(json.dumps({"id": doc_id, "text": text}, ensure_ascii=False) + "\n")
        write_parquet(work / "in.parquet", docs)
        results = []

        def report(name, seconds, peak=None):
            per_core = n / seconds / CORES
            results.append((name, seconds, per_core, text_bytes / seconds / CORES / 1e6, peak))

        t, m = timed([DOCCLASS, "-q", "classify", work / "in.jsonl", "--out", work / "out.jsonl"])
        report("CLI, JSON Lines in and out", t, m)
        t, m = timed([DOCCLASS, "-q", "classify", work / "in.parquet", "--out", work / "out.parquet"])
        report("CLI, Parquet in and out", t, m)

        import docclass
        model = docclass.Model.default()
        start = time.perf_counter()
        for i in range(0, n, 10_000):
            chunk = docs[i:i + 10_000]
            model.classify([t for _, t in chunk], [d for d, _ in chunk])
        report("Python package, Model.classify in batches of 10,000", time.perf_counter() - start)

        # Loaded from its file, not imported by name: Spark's workers then
        # receive the job's functions by value, as with spark-submit.
        import importlib.util
        spec = importlib.util.spec_from_file_location("spark_job", ROOT / "python" / "examples" / "spark_classify_parquet.py")
        job = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(job)
        from pyspark.sql import SparkSession
        os.environ["PYSPARK_PYTHON"] = sys.executable
        spark = (SparkSession.builder.master(f"local[{CORES}]").config("spark.ui.enabled", "false").getOrCreate())
        start = time.perf_counter()
        job.run(spark, str(work / "in.parquet"), str(work / "spark-out"))
        report(f"Spark local[{CORES}], mapInArrow over the Python package", time.perf_counter() - start)
        spark.stop()

        print(f"{n:,} documents, {text_bytes / 1e6:.0f} MB of text, {CORES} cores\n")
        print("| run | wall | documents/s per core | MB/s per core | peak RSS |")
        print("|---|---|---|---|---|")
        for name, seconds, per_core, mb, peak in results:
            peak = f"{peak:.0f} MiB" if peak else ""
            print(f"| {name} | {seconds:.1f} s | {per_core:,.0f} | {mb:.2f} | {peak} |")

        if big_gb > 0:
            big = work / "big.parquet"
            target = int(big_gb * 1e9)
            count = 0

            def until_target():
                nonlocal count
                made = 0
                for doc_id, text in documents(10**12, seed=1):
                    if made >= target:
                        return
                    made += len(text.encode())
                    count += 1
                    yield doc_id, text
            size = write_parquet(big, until_target())
            t, m = timed([DOCCLASS, "-q", "classify", big, "--out", work / "big-out.parquet"])
            print(f"\nCLI on one Parquet file of {size / 1e9:.1f} GB of text ({big.stat().st_size / 1e9:.2f} GB on disk, "
                  f"{count:,} documents): {t:.0f} s, peak RSS {m:.0f} MiB")


if __name__ == "__main__":
    main()
