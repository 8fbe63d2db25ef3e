#!/usr/bin/env python3
"""Classify a Parquet dataset on Apache Spark with docclass.

    spark-submit python/examples/spark_classify_parquet.py INPUT OUTPUT \
        [--model my.model] [--text-column text] [--id-column id]
    # or locally, with pyspark from PyPI:
    python python/examples/spark_classify_parquet.py INPUT OUTPUT --master 'local[*]'

INPUT is any Parquet dataset Spark reads (a file, a folder of part files, s3a://...).
OUTPUT gets one row per input row, the columns of `docclass classify --format parquet`:
id, labels (array<string>), one double per label score, relevance (gated models),
empty, error. Every executor needs the Python package (`pip install ./python`, or a
wheel shipped with --py-files / a cluster image); the model file, if not the embedded
default, is shipped once per executor with SparkContext.addFile and loaded once per
Python worker.
"""
import argparse
import os

_MODELS = {}


def _model(name):
    """The model of this Python worker, loaded on first use."""
    import docclass
    from pyspark import SparkFiles

    if name not in _MODELS:
        _MODELS[name] = docclass.Model.default() if name is None else docclass.Model.load(SparkFiles.get(name))
    return _MODELS[name]


def output_schema(labels, gated):
    """The Spark schema of the output rows."""
    columns = ["id string", "labels array<string>"] + [f"`{l}` double" for l in labels]
    if gated:
        columns.append("relevance double")
    columns += ["empty boolean", "error string"]
    return ", ".join(columns)


def classify_batches(batches, model_name, text_column, id_column, labels, gated):
    """mapInArrow body: Arrow record batches in, record batches of results out."""
    import pyarrow as pa

    model = _model(model_name)
    for batch in batches:
        texts = batch.column(text_column).to_pylist()
        ids = [str(i) for i in batch.column(id_column).to_pylist()]
        present = [i for i, t in enumerate(texts) if t is not None]
        records = [{"id": i, "error": "the text is null"} for i in ids]
        for i, r in zip(present, model.classify([texts[i] for i in present], [ids[i] for i in present])):
            records[i] = r
        columns = {
            "id": [r["id"] for r in records],
            "labels": [r.get("labels") for r in records],
        }
        for label in labels:
            columns[label] = [r["scores"][label] if "scores" in r else None for r in records]
        if gated:
            columns["relevance"] = [r.get("relevance") for r in records]
        columns["empty"] = [bool(r.get("empty", False)) for r in records]
        columns["error"] = [r.get("error") for r in records]
        yield pa.RecordBatch.from_pydict(columns)


def run(spark, input_path, output_path, model_path=None, text_column="text", id_column="id"):
    """Reads INPUT, classifies every row, writes OUTPUT (overwriting it)."""
    import docclass

    model_name = None
    if model_path:
        spark.sparkContext.addFile(os.path.abspath(model_path))
        model_name = os.path.basename(model_path)
    local = docclass.Model.default() if model_path is None else docclass.Model.load(model_path)
    labels, gated = local.labels, local.relevance_threshold is not None
    frame = spark.read.parquet(input_path).select(id_column, text_column)
    result = frame.mapInArrow(
        lambda batches: classify_batches(batches, model_name, text_column, id_column, labels, gated),
        output_schema(labels, gated),
    )
    result.write.mode("overwrite").parquet(output_path)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("input")
    parser.add_argument("output")
    parser.add_argument("--model", help="model file from `docclass train` (default: the embedded model)")
    parser.add_argument("--text-column", default="text")
    parser.add_argument("--id-column", default="id")
    parser.add_argument("--master", help="Spark master when run without spark-submit, e.g. 'local[2]'")
    args = parser.parse_args()
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.appName("docclass-classify")
    if args.master:
        builder = builder.master(args.master)
    spark = builder.getOrCreate()
    try:
        run(spark, args.input, args.output, args.model, args.text_column, args.id_column)
    finally:
        spark.stop()


if __name__ == "__main__":
    main()
