"""Explanations: how faithful each attribution method is, what it costs, and /v1/explain's
latency. Every figure is against a baseline measured in the same run.

Parts (``--parts``, all by default):
  faithfulness: per built-in dataset, two models fitted on (up to --train) train rows: word
                TF-IDF + logistic regression and frozen MiniLM + logistic regression. On
                --sample test texts, each method that applies (linear, occlusion, ig, shap;
                shap on --shap-sample texts): ERASER comprehensiveness and sufficiency of the
                top 20 % of words against a random order of the same words (the baseline), and
                seconds per explained text.
  service:      a MiniLM + logistic regression champion on TREC served by `textops serve` on
                this machine; one 30-word text posted --requests times, one request at a time,
                to /v1/explain and to /v1/predict (the baseline): p50 latency and their ratio.
Usage: python bench/explain.py [--parts faithfulness,service] [--datasets sms_spam,trec,...]
       [--sample 60] [--shap-sample 30] [--train 2000]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
warnings.filterwarnings("ignore")
sys.path.insert(0, str(Path(__file__).parent))

DATASETS = ("sms_spam", "trec", "bbc_news", "movie_reviews")
TEXT_30 = (
    "Congratulations you have been selected to receive a free holiday and a cash prize of "
    "one thousand pounds just call our team today before midnight to claim it reply STOP"
)


def _fit(embedder_key: str, texts: list[str], labels: list[str]) -> Any:
    from textops.data import NormalizationOptions
    from textops.embed import make_embedder
    from textops.model import TextClassifier, build_head

    embedder = make_embedder(embedder_key).fit(texts)
    head = build_head("logreg", {"C": 10.0}).fit(embedder.transform(texts), labels)
    return TextClassifier(
        embedder_key=embedder_key,
        embedder=embedder,
        head_key="logreg",
        head=head,
        head_params={"C": 10.0},
        normalization=NormalizationOptions(),
    )


def faithfulness(home: Path, datasets: list[str], args: argparse.Namespace) -> list[dict[str, Any]]:
    from textops.data import builtin_source, ingest
    from textops.explain import METHODS, evaluate_faithfulness

    rows: list[dict[str, Any]] = []
    print("\n## faithfulness (top 20 % of words; ratio = comprehensiveness / random order's)")
    print(f"{'dataset':<14} {'model':<13} {'method':<10} {'compr':>7} {'random':>7} "
          f"{'ratio':>7} {'suff':>7} {'rnd suff':>8} {'s/text':>7}")  # fmt: skip
    for name in datasets:
        ds = ingest([builtin_source(name)], name, home=home)
        rng = random.Random(0)
        train = list(zip(ds.texts("train"), ds.labels("train"), strict=True))
        train = rng.sample(train, min(args.train, len(train)))
        test = [t for t in ds.texts("test") if t.split()]
        for key, label in (("tfidf", "tfidf+LR"), ("minilm", "minilm+LR")):
            clf = _fit(key, [t for t, _ in train], [y for _, y in train])
            for method, spec in METHODS.items():
                if not spec.supports(clf):
                    continue
                n = args.shap_sample if method == "shap" else args.sample
                texts = random.Random(1).sample(test, min(n, len(test)))
                (r,) = evaluate_faithfulness(clf, texts, (method,), show_progress=True)
                c, rc = r.at(20)
                rows.append({"dataset": name, "model": label, **r.as_json()})
                print(
                    f"{name:<14} {label:<13} {method:<10} {c:>7.4f} {rc:>7.4f} "
                    f"{r.ratio(20):>7.2f} {r.sufficiency[3]:>7.4f} "
                    f"{r.random_sufficiency[3]:>8.4f} {r.seconds_per_text:>7.3f}",
                    flush=True,
                )
    return rows


def service(home: Path, requests: int) -> dict[str, Any]:
    import httpx2 as httpx

    from serve import BIN, _port, server, train

    uri = train(home)
    port = _port()
    env = {**os.environ, "TEXTOPS_HOME": str(home)}
    cmd = [str(BIN / "textops"), "serve", uri, "--port", str(port), "--poll-seconds", "0"]
    base = f"http://127.0.0.1:{port}"
    assert len(TEXT_30.split()) == 30
    with server(cmd, env, f"{base}/readyz"), httpx.Client(timeout=30) as client:
        p50 = {}
        for route in ("predict", "explain", "predict", "explain"):  # warm, then measured
            times = []
            for _ in range(requests):
                t0 = time.perf_counter()
                r = client.post(f"{base}/v1/{route}", json={"texts": [TEXT_30]})
                times.append(time.perf_counter() - t0)
                assert r.status_code == 200, r.text
            p50[route] = 1000 * statistics.median(times)
        method = r.json()["explanations"][0]["method"]
    print(f"\n## /v1/explain on one 30-word text ({os.cpu_count()} cores, {requests} requests)")
    print(f"predict p50 {p50['predict']:.1f} ms (baseline)   explain p50 {p50['explain']:.1f} ms "
          f"({method})   ratio {p50['explain'] / p50['predict']:.2f}x")  # fmt: skip
    return {"method": method, "requests": requests, "p50_ms": p50,
            "ratio": p50["explain"] / p50["predict"]}  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--parts", default="faithfulness,service")
    ap.add_argument("--datasets", default=",".join(DATASETS))
    ap.add_argument("--sample", type=int, default=60)
    ap.add_argument("--shap-sample", type=int, default=30)
    ap.add_argument("--train", type=int, default=2000)
    ap.add_argument("--requests", type=int, default=50)
    args = ap.parse_args()
    parts = args.parts.split(",")
    out: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        os.environ["TEXTOPS_HOME"] = str(home)
        if "faithfulness" in parts:
            out["faithfulness"] = faithfulness(home, args.datasets.split(","), args)
        if "service" in parts:
            out["service"] = service(home / "serve", args.requests)
    print(json.dumps(out, default=str))


if __name__ == "__main__":
    main()
