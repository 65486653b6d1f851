"""The main job, as `make demo` runs it: ingest a built-in dataset and embed it through the cache.

Run it twice: the second run reads every embedding from the cache (only hits).
The search + registry stage (next) extends this job to train, register and predict.
"""

from __future__ import annotations

import argparse
import time

from textops import home_dir
from textops.data import builtin_source, ingest, ingest_report
from textops.embed import EmbeddingCache, embed_dataset, make_embedder


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dataset", default="sms_spam", help="built-in dataset to use")
    parser.add_argument(
        "--embedders", default="minilm,static,linguistic", help="comma-separated embedder keys"
    )
    args = parser.parse_args(argv)

    home = home_dir()
    print(f"textops demo - state in {home}\n")
    start = time.perf_counter()
    ds = ingest([builtin_source(args.dataset)], args.dataset)
    report = ingest_report(ds)
    print(
        f"1. ingested {report['dataset']} version {report['version']}: "
        f"{report['rows_read']:,} rows read, {report['rows_accepted']:,} accepted, "
        f"{report['rows_rejected']:,} quarantined {report['rejected_by_reason']}"
    )
    print(f"   labels {report['labels']}, splits {report['splits']}")
    print(f"   quarantine: {report['quarantine_path']}\n")

    cache = EmbeddingCache()
    print("2. embeddings (content-addressed cache; a second run reads them all from the cache)")
    for key in args.embedders.split(","):
        res = embed_dataset(ds, make_embedder(key), cache=cache)
        load = " (incl. model load)" if res.misses else ""
        print(
            f"   {key:11} {res.vectors.shape[0]:,} x {res.vectors.shape[1]}: "
            f"cache hits {res.hits:,}, misses {res.misses:,}, {res.seconds:.2f}s{load}"
        )
    stats = cache.stats()
    print(
        f"\n   cache: {stats['entries']:,} embeddings, {stats['bytes'] / 1e6:.1f} MB, "
        f"{stats['bytes_per_embedding']} bytes per embedding on average"
    )
    print(f"\ndone in {time.perf_counter() - start:.1f}s. Next:")
    print(f"  textops data show {args.dataset}        # manifest, splits, label counts")
    print("  textops cache verify --sample 32    # fresh encodes still match the cache?")
    print("  make demo                           # again: only cache hits")


if __name__ == "__main__":
    main()
