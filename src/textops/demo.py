"""The main job, as `make demo` runs it.

1. ingest a built-in dataset (validate, quarantine, version, split);
2. embed it with every default backend through the content-addressed cache;
3. search embedder x head x hyperparameters (Optuna, CV on train, every trial in MLflow);
4. refit the winner, score it once on test, register it (champion if it beats the champion);
5. predict a few example texts with `models:/NAME@champion`.

Run it again: embeddings come from the cache and the study resumes (no trial is redone).
"""

from __future__ import annotations

import argparse
import time

from textops._home import home_dir
from textops.data import builtin_source, ingest, ingest_report
from textops.embed import EmbeddingCache, embed_dataset, make_embedder

EXAMPLES = {
    "sms_spam": [
        "WINNER!! You have won a 1000 cash prize. Call 09061701461 to claim now",
        "Are we still meeting for lunch tomorrow?",
        "Ok lar, I'll be home soon",
    ],
    "trec": [
        "How far is the moon from the earth ?",
        "Who invented the telephone ?",
        "What does NASA stand for ?",
    ],
}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dataset", default="sms_spam", help="built-in dataset to use")
    parser.add_argument(
        "--embedders",
        default="minilm,static,tfidf,tfidf_char,tfidf_wc,tfidf_minilm,linguistic",
        help="comma-separated embedder keys",
    )
    parser.add_argument("--trials", type=int, default=30)
    parser.add_argument("--timeout", type=float, default=420.0, help="search budget (s)")
    args = parser.parse_args(argv)
    keys = [k for k in args.embedders.split(",") if k]

    home = home_dir()
    print(f"textops demo - state in {home}\n")
    start = time.perf_counter()
    ds = ingest([builtin_source(args.dataset)], args.dataset)
    report = ingest_report(ds)
    print(
        f"1. ingested {report.dataset} version {report.version}: "
        f"{report.rows_read:,} rows read, {report.rows_accepted:,} accepted "
        f"({sum(report.repairs.values()):,} after a repair), {report.rows_rejected:,} "
        f"quarantined {report.rejected_by_reason}"
    )
    print(f"   labels {report.labels}, splits {report.splits}")
    print(f"   quarantine: {report.quarantine_path}\n")

    cache = EmbeddingCache()
    print("2. embeddings (content-addressed cache; a second run reads them all from the cache)")
    for key in keys:
        emb = make_embedder(key)
        res = embed_dataset(ds, emb, cache=cache)
        cacheable = emb.cacheable
        load = " (incl. model load)" if res.misses and cacheable else ""
        cached = "" if cacheable else " (fitted per dataset, not cached)"
        if emb.cached_parts():  # a hybrid: hits and misses are its cached half's
            cached = " (TF-IDF half fitted per dataset; hits and misses: the dense half's)"
        print(
            f"   {key:11} {res.vectors.shape[0]:,} x {res.vectors.shape[1]}: "
            f"cache hits {res.hits:,}, misses {res.misses:,}, {res.seconds:.2f}s{load}{cached}"
        )

    from textops.cli import print_search
    from textops.search import SearchConfig, run_search

    print(f"\n3. search: up to {args.trials} trials, {args.timeout:.0f}s budget")
    cfg = SearchConfig(
        dataset=ds.name, embedders=tuple(keys), trials=args.trials, timeout=args.timeout, cv_folds=3
    )
    result = run_search(cfg)
    print_search(result)

    from textops.track import default_tracking_uri, load_classifier, ui_hint

    uri = f"models:/{result.model_name}@champion"
    clf, _ = load_classifier(uri, default_tracking_uri())
    print(f"\n4. predictions by {uri}")
    texts = EXAMPLES.get(ds.name, ds.texts("test")[:3])
    for text, proba in zip(texts, clf.predict_proba(texts), strict=True):
        label = clf.labels[int(proba.argmax())]
        print(f"   {label:>8} ({proba.max():.3f})  {text}")
    print(f"\ndone in {time.perf_counter() - start:.1f}s. Next:")
    print(f'  textops predict {uri} "your text"')
    print(f"  textops models show {result.model_name}     # versions, aliases, test macro-F1")
    print(f"  textops serve {uri}     # HTTP service: /v1/predict, /docs, /metrics")
    print(f"  {ui_hint(default_tracking_uri())}")
    print("  make demo    # again: only cache hits, and the study resumes where it stopped")


if __name__ == "__main__":
    main()
