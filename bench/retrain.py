"""Retraining from feedback on a drifted stream: live accuracy on the stream before and after.

A sentiment model is trained by a pipeline on English movie-review snippets (movie_reviews).
The served stream then shifts to Chinese product reviews (chinese_reviews: the same labels,
another language and domain), a simulated drift between two built-in datasets. The service
logs texts; 200 stream predictions receive their true label as reviewed feedback (a person's
labels, sent with the admin key and a reviewer: only reviewed labels may score a promotion,
see docs/security.md); `retrain` adds them as a new dataset version, searches, and promotes
through the gate; the service reloads the alias. Live accuracy is measured on 1,000 later
stream texts that no model trained on, by the served champion before and after, in the same
run.

Usage: python bench/retrain.py [--rows 3000] [--feedback 200] [--stream 1000] [--timeout 120]
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import tempfile
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
KEY = {"x-api-key": "bench"}
ADMIN = {"x-api-key": "bench-admin"}


def _rows(key: str) -> list[tuple[str, str]]:
    from textops.data import builtin_source

    out: list[tuple[str, str]] = []
    for chunk in builtin_source(key).chunks(5000):
        out += [(r.text or "", r.label or "") for r in chunk if r.text and r.text.strip()]
    return out


def _accuracy(client, rows: list[tuple[str, str]]) -> tuple[float, list[str]]:  # type: ignore[no-untyped-def]
    ids, right = [], 0
    for i in range(0, len(rows), 200):
        part = rows[i : i + 200]
        r = client.post("/v1/predict", json={"texts": [t for t, _ in part]}, headers=KEY)
        r.raise_for_status()
        for p, (_, lab) in zip(r.json()["predictions"], part, strict=True):
            ids.append(p["prediction_id"])
            right += p["label"] == lab
    return right / len(rows), ids


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1000, help="movie_reviews rows to train on")
    ap.add_argument("--feedback", type=int, default=200)
    ap.add_argument("--stream", type=int, default=1000, help="later stream texts scored")
    ap.add_argument("--timeout", type=float, default=120, help="each search's budget (s)")
    ap.add_argument(
        "--embedders",
        default="minilm,tfidf_wc,tfidf_char",
        help="the pipeline's embedders (default: English-only ones, as a team serving English "
        "text would pick; with the multilingual e5 the shift costs far less)",
    )
    args = ap.parse_args()
    rng = random.Random(0)
    english = _rows("movie_reviews")
    rng.shuffle(english)
    chinese = [r for r in _rows("chinese_reviews") if 5 <= len(r[0]) <= 300]
    rng.shuffle(chinese)
    labelled, later = chinese[: args.feedback], chinese[args.feedback : args.feedback + args.stream]

    from fastapi.testclient import TestClient

    from textops.pipeline import load_pipeline, retrain, run_pipeline
    from textops.serve import ServeSettings, create_app
    from textops.track import default_tracking_uri

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        home = root / "home"
        os.environ["TEXTOPS_HOME"] = str(home)
        os.environ["TEXTOPS_BENCH_KEY"] = "bench"
        os.environ["TEXTOPS_BENCH_ADMIN"] = "bench-admin"
        with (root / "reviews.csv").open("w", newline="", encoding="utf-8") as fh:
            csv.writer(fh).writerows([("text", "label"), *english[: args.rows]])
        (root / "pipeline.yaml").write_text(
            "name: reviews\nsources: [{path: reviews.csv}]\n"
            f"search: {{timeout: {args.timeout:g}, embedders: [{args.embedders}]}}\n"
            "gate: {mode: better}\n"
        )
        cfg = load_pipeline(root / "pipeline.yaml")
        first = run_pipeline(cfg, home=home)
        v1 = first.stage("register").outputs
        db = f"sqlite:///{root / 'monitor.db'}"
        settings = ServeSettings(
            model_uri="models:/reviews@champion", home=str(home), poll_seconds=0,
            tracking_uri=default_tracking_uri(home), monitor_db=db, log_text=True,
            api_key_env="TEXTOPS_BENCH_KEY", admin_key_env="TEXTOPS_BENCH_ADMIN", drift_seconds=0,
        )  # fmt: skip
        with TestClient(create_app(settings)) as client:
            before, _ = _accuracy(client, later)
            _, ids = _accuracy(client, labelled)
            items = [
                {"prediction_id": i, "label": lab}
                for i, (_, lab) in zip(ids, labelled, strict=True)
            ]
            body = {"items": items, "reviewer": "bench"}
            client.post("/v1/feedback", json=body, headers=ADMIN).raise_for_status()
            client.get("/v1/monitor/performance", headers=KEY)  # flushes the log
            result = retrain("models:/reviews@champion", monitor_url=db, home=home,
                             pipeline=root / "pipeline.yaml")  # fmt: skip
            from textops.track import load_classifier

            new, _ = load_classifier(f"models:/reviews/{result.new_version}",
                                     default_tracking_uri(home))  # fmt: skip
            texts = [t for t, _ in later]
            new_acc = sum(p == lab for p, (_, lab) in zip(new.predict(texts), later, strict=True))
            new_acc /= len(later)
            client.post("/v1/admin/reload", headers=ADMIN).raise_for_status()
            served = client.get("/v1/model", headers=KEY).json()
            after, _ = _accuracy(client, later)
    search = result.pipeline.stage("search").outputs
    print(
        f"champion v{v1['version']}: trained on {args.rows:,} English movie-review snippets "
        f"({first.stage('search').outputs['embedder']} + {first.stage('search').outputs['head']})"
    )
    print(
        f"stream: Chinese product reviews; {args.feedback} feedback labels, "
        f"{args.stream:,} later texts scored"
    )
    print(
        f"feedback: {result.reviewed_rows} reviewed + {result.unreviewed_rows} unreviewed rows "
        f"from {result.feedback_sources} source(s)"
    )
    print(
        f"retrain: {result.dataset}, v{result.new_version} ({search['embedder']} + "
        f"{search['head']}), {'promoted' if result.promoted else 'NOT promoted'}: {result.why}"
    )
    print(
        f"served after reload: version {served.get('version')}; the retrained version alone "
        f"scores {new_acc:.3f} on the stream"
    )
    print(f"live accuracy on the stream before retraining: {before:.3f}")
    print(f"live accuracy on the stream after retraining:  {after:.3f}")
    print(f"after / before = {after / before:.2f}x (+{100 * (after - before):.1f} points)")


if __name__ == "__main__":
    main()
