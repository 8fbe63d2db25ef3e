#!/usr/bin/env python3
"""Synthetic benchmark input for the scale benchmarks (benches/scale.sh).

Documents are made of real sentences, sampled and shuffled from the program
corpus (training/programs.jsonl) and the 20 Newsgroups training split, so
that tokenization, language detection and vocabulary look like real work
(repeating one document would let caches make everything look fast). This
is benchmark *input*, never training data for a shipped model.

    python3 benches/gen_corpus.py --bytes 2G OUT.jsonl           # classify input
    python3 benches/gen_corpus.py --docs 100000 --labelled OUT.jsonl   # train input

With --labelled each document takes the labels of its first sentence's
source document (program labels, or the newsgroup's name), so the labels
are learnable. Same --seed, same file.
"""
import argparse
import json
import os
import random
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NEWS = os.environ.get("DOCCLASS_20NEWS", os.path.join(ROOT, "..", "shared", "datasets", "20news-bydate"))


def size(text):
    units = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    if text[-1].upper() in units:
        return int(float(text[:-1]) * units[text[-1].upper()])
    return int(text)


def sentences(text):
    parts = re.split(r"(?<=[.!?。；;])\s+|\n+", text)
    return [p.strip() for p in parts if len(p.strip()) > 20]


def load_pool():
    """(sentence, labels) pairs from both sources."""
    pool = []
    with open(os.path.join(ROOT, "training", "programs.jsonl"), encoding="utf-8") as f:
        for line in f:
            record = json.loads(line)
            for s in sentences(record["text"]):
                pool.append((s, record["labels"]))
    train = os.path.join(NEWS, "train")
    if os.path.isdir(train):
        for group in sorted(os.listdir(train)):
            folder = os.path.join(train, group)
            for name in sorted(os.listdir(folder)):
                with open(os.path.join(folder, name), encoding="latin-1") as f:
                    text = f.read()
                # Skip the mail headers: they are mostly addresses.
                body = text.split("\n\n", 1)[-1]
                for s in sentences(body)[:40]:
                    pool.append((s, [group]))
    else:
        print(f"note: {train} not found; programs corpus only", file=sys.stderr)
    return pool


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out")
    ap.add_argument("--bytes", type=size, help="stop after this many bytes (e.g. 2G, 100M)")
    ap.add_argument("--docs", type=int, help="stop after this many documents")
    ap.add_argument("--labelled", action="store_true", help="add a \"labels\" field")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--min-sentences", type=int, default=3)
    ap.add_argument("--max-sentences", type=int, default=25)
    args = ap.parse_args()
    if not args.bytes and not args.docs:
        ap.error("give --bytes or --docs")
    rng = random.Random(args.seed)
    pool = load_pool()
    print(f"{len(pool)} sentences in the pool", file=sys.stderr)
    written = 0
    n = 0
    with open(args.out, "w", encoding="utf-8") as f:
        while (args.bytes is None or written < args.bytes) and (args.docs is None or n < args.docs):
            k = rng.randint(args.min_sentences, args.max_sentences)
            # Sentences mostly from one source document's neighbourhood
            # (topical), with a few from anywhere.
            start = rng.randrange(len(pool))
            picked = [pool[(start + rng.randrange(60)) % len(pool)] for _ in range(k - k // 4)]
            picked += [rng.choice(pool) for _ in range(k // 4)]
            labels = picked[0][1]
            rng.shuffle(picked)
            record = {"id": f"doc-{n}", "text": " ".join(s for s, _ in picked)}
            if args.labelled:
                record["labels"] = labels
            line = json.dumps(record, ensure_ascii=False) + "\n"
            f.write(line)
            written += len(line.encode("utf-8"))
            n += 1
    print(f"wrote {n} documents, {written / 1e6:.1f} MB to {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
