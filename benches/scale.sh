#!/usr/bin/env bash
# Scale on one machine: streaming classification of a ~2 GB JSON Lines file
# against a 100 MB one (throughput, peak memory), training on 100,000
# documents (time, peak memory), and one huge document (memory per byte).
#
#   benches/scale.sh [WORKDIR]        # default: a fresh folder under /tmp
#
# Needs /usr/bin/time (GNU time) and python3; builds target/release/docclass.
# The generated files are deleted at the end (the 2 GB one as soon as it has
# been classified). Environment: CLASSIFY_BYTES (default 2G), SMALL_BYTES
# (100M), TRAIN_DOCS (100000), HUGE_MB (500), SKIP_HUGE=1, SKIP_TRAIN=1.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
WORK=${1:-$(mktemp -d /tmp/docclass-scale.XXXXXX)}
mkdir -p "$WORK"
BIN=$ROOT/target/release/docclass
cargo build --release --quiet

CLASSIFY_BYTES=${CLASSIFY_BYTES:-2G}
SMALL_BYTES=${SMALL_BYTES:-100M}
TRAIN_DOCS=${TRAIN_DOCS:-100000}
HUGE_MB=${HUGE_MB:-500}

# Runs a command under GNU time; prints wall seconds, peak RSS (MiB), CPU %.
measure() {
    local label=$1
    shift
    /usr/bin/time -f "%e %M %P" -o "$WORK/time.out" "$@" || true
    read -r wall rss cpu < <(tail -n 1 "$WORK/time.out")
    printf '%-34s wall %7.1f s   peak RSS %7.1f MiB   CPU %s\n' "$label" "$wall" "$(echo "$rss / 1024" | bc -l)" "$cpu"
    LAST_WALL=$wall
    LAST_RSS_MB=$(echo "$rss / 1024" | bc -l)
}

mb() { echo "$(stat -c %s "$1") / 1000000" | bc -l; }

echo "== machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB RAM; docclass $($BIN --version)"

echo "== classify: streaming a large JSON Lines file vs a small one"
python3 benches/gen_corpus.py --bytes "$SMALL_BYTES" --seed 1 "$WORK/small.jsonl"
python3 benches/gen_corpus.py --bytes "$CLASSIFY_BYTES" --seed 2 "$WORK/large.jsonl"
# Warm the page cache for the small file so that both runs read from memory
# as far as the machine allows; the large one cannot stay cached everywhere.
cat "$WORK/small.jsonl" >/dev/null
measure "classify $(printf %.0f "$(mb "$WORK/small.jsonl")") MB" \
    "$BIN" classify "$WORK/small.jsonl" --out "$WORK/small.out.jsonl"
small_mbs=$(echo "$(mb "$WORK/small.jsonl") / $LAST_WALL" | bc -l)
measure "classify $(printf %.0f "$(mb "$WORK/large.jsonl")") MB" \
    "$BIN" classify "$WORK/large.jsonl" --out "$WORK/large.out.jsonl"
large_mbs=$(echo "$(mb "$WORK/large.jsonl") / $LAST_WALL" | bc -l)
large_rss=$LAST_RSS_MB
docs=$(wc -l <"$WORK/large.jsonl")
records=$(wc -l <"$WORK/large.out.jsonl")
printf 'throughput: small %.1f MB/s, large %.1f MB/s (large/small %.2f); %s documents -> %s records; peak RSS %.0f MiB\n' \
    "$small_mbs" "$large_mbs" "$(echo "$large_mbs / $small_mbs" | bc -l)" "$docs" "$records" "$large_rss"
[ "$docs" = "$records" ] || { echo "record count mismatch" >&2; exit 1; }
rm -f "$WORK/large.jsonl" "$WORK/large.out.jsonl" "$WORK/small.out.jsonl"

# The in-memory path for comparison: the same small file, every document
# read into memory first, classified in one parallel pass (no streaming).
cargo build --release --quiet --example classify_in_memory
measure "in-memory classify (same small file)" \
    "$ROOT/target/release/examples/classify_in_memory" "$WORK/small.jsonl"
printf 'in-memory throughput %.1f MB/s (streaming large / in-memory: %.2f)\n' \
    "$(echo "$(mb "$WORK/small.jsonl") / $LAST_WALL" | bc -l)" \
    "$(echo "$large_mbs / ($(mb "$WORK/small.jsonl") / $LAST_WALL)" | bc -l)"

if [ "${SKIP_TRAIN:-0}" != 1 ]; then
    echo "== train on $TRAIN_DOCS documents"
    python3 benches/gen_corpus.py --docs "$TRAIN_DOCS" --labelled --seed 3 "$WORK/train.jsonl"
    echo "training data: $(printf %.0f "$(mb "$WORK/train.jsonl")") MB"
    measure "train $TRAIN_DOCS docs" \
        "$BIN" train --data "$WORK/train.jsonl" --out "$WORK/train.model"
    ls -l "$WORK/train.model"
    rm -f "$WORK/train.jsonl" "$WORK/train.model"
fi

if [ "${SKIP_HUGE:-0}" != 1 ]; then
    echo "== one huge document (${HUGE_MB} MB of text)"
    python3 - "$WORK/huge.txt" "$HUGE_MB" <<'PY'
import json, sys
out, mb = sys.argv[1], int(sys.argv[2])
texts = [json.loads(l)["text"] for l in open("training/programs.jsonl", encoding="utf-8")]
with open(out, "w", encoding="utf-8") as f:
    n, i = 0, 0
    while n < mb * 1_000_000:
        t = texts[i % len(texts)] + "\n"
        f.write(t)
        n += len(t.encode("utf-8"))
        i += 1
PY
    size=$(stat -c %s "$WORK/huge.txt")
    echo "default limit:"
    "$BIN" classify "$WORK/huge.txt" || true
    measure "classify one $(printf %.0f "$(mb "$WORK/huge.txt")") MB document" \
        "$BIN" classify --max-doc-bytes $((size + 1)) "$WORK/huge.txt" --out "$WORK/huge.out.jsonl"
    printf 'peak RSS / document size: %.2f\n' "$(echo "$LAST_RSS_MB * 1048576 / $size" | bc -l)"
    # The same document as one JSON Lines record and as one CSV field, over
    # the default limit: skipped without being held in memory.
    python3 - "$WORK/huge.txt" "$WORK/huge.jsonl" "$WORK/huge.csv" <<'PY'
import csv, json, sys
text = open(sys.argv[1], encoding="utf-8").read()
with open(sys.argv[2], "w", encoding="utf-8") as f:
    f.write(json.dumps({"id": "huge", "text": text}, ensure_ascii=False) + "\n")
    f.write(json.dumps({"id": "after", "text": "port logistics"}) + "\n")
with open(sys.argv[3], "w", encoding="utf-8", newline="") as f:
    w = csv.writer(f)
    w.writerow(["id", "text"])
    w.writerow(["huge", text])
    w.writerow(["after", "port logistics"])
PY
    measure "JSON Lines record over the limit" \
        "$BIN" classify "$WORK/huge.jsonl" --out "$WORK/huge.out.jsonl"
    cat "$WORK/huge.out.jsonl"
    measure "CSV record over the limit" \
        "$BIN" classify "$WORK/huge.csv" --out "$WORK/huge.out.jsonl"
    cat "$WORK/huge.out.jsonl"
    rm -f "$WORK/huge.txt" "$WORK/huge.jsonl" "$WORK/huge.csv" "$WORK/huge.out.jsonl"
fi
rm -f "$WORK/small.jsonl" "$WORK/time.out"
rmdir "$WORK" 2>/dev/null || true
