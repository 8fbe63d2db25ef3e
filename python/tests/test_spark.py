"""The Spark job (python/examples/spark_classify_parquet.py) in Spark local mode:
every input row comes out exactly once, with the CLI's labels and scores."""
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")
pytest.importorskip("pyspark")

ROOT = Path(__file__).resolve().parents[2]
BIN = os.environ.get("DOCCLASS_BIN", str(ROOT / "target" / "release" / "docclass"))


def load_job():
    spec = importlib.util.spec_from_file_location("spark_job", ROOT / "python" / "examples" / "spark_classify_parquet.py")
    job = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(job)
    return job


def corpus_texts():
    texts = []
    for path in [ROOT / "training" / "programs.jsonl", *sorted((ROOT / "training" / "genres").glob("*.jsonl")),
                 *sorted((ROOT / "training" / "background").glob("*.jsonl"))]:
        texts += [json.loads(l)["text"] for l in path.read_text(encoding="utf-8").splitlines() if l.strip()]
    return texts


@pytest.fixture(scope="module")
def spark():
    from pyspark.sql import SparkSession

    # Workers run this interpreter (the one with docclass installed), not
    # whatever `python3` is first on PATH.
    os.environ["PYSPARK_PYTHON"] = sys.executable
    session = (SparkSession.builder.master("local[2]").appName("docclass-test")
               .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "4").getOrCreate())
    yield session
    session.stop()


def test_spark_job_gives_every_row_once_with_the_clis_results(tmp_path, spark):
    texts = corpus_texts()
    rows = [(f"doc-{i:05d}", texts[i % len(texts)]) for i in range(3000)]
    rows.append(("empty-one", "   "))
    table = pa.table({"id": [r[0] for r in rows], "text": [r[1] for r in rows]})
    source = tmp_path / "in.parquet"
    pq.write_table(table, source, row_group_size=700)

    out = tmp_path / "out"
    load_job().run(spark, str(source), str(out))
    got = pq.read_table(out).to_pylist()

    cli_out = tmp_path / "cli.parquet"
    subprocess.run([BIN, "-q", "classify", str(source), "--out", str(cli_out)], check=True)
    expected = {r["id"]: r for r in pq.read_table(cli_out).to_pylist()}

    ids = [r["id"] for r in got]
    assert len(ids) == len(rows) and set(ids) == {r[0] for r in rows}
    for r in got:
        assert r == expected[r["id"]], r["id"]
