"""textops search vs baselines, in one run, on every built-in dataset.

Per dataset (fresh state, cold cache):
  A. TF-IDF + LogisticRegression, C by 5-fold grid search on train + validation;
  B. MiniLM embeddings (cold encode) + default LogisticRegression on train + validation;
  S. `textops search` with --timeout = wall time of A + B (it must encode whatever it uses
     itself; the budget logic skips encodes that cannot fit);
  E. what S's ensemble candidate added: its CV against its best member's on the same folds;
     when S kept it, S's test score against the same study finalised again without the
     ensemble (no new trials, no time limit: a budget-sampled winner is refitted on every
     row then, which favours the single model).
All score the same test split once. `--ensemble-trials N` then runs, per dataset, a search of
N trials and no time limit over the default embedders but mpnet and e5 (their encodes take
minutes here; the ensemble always judged, no embedder sampled), and finalises the
same study again without the ensemble: the two test scores are the ensemble's whole effect.
Then, on TREC with ~5k training texts: seconds for N trials
on a cold cache vs a warm one, and trials/s for linear heads on warm embeddings (all three in
one study, then the median of three studies per head, seeds 0-2), counted over the wall time
from the first trial's start to the last one's end; 30 trials per study (the CLI's default).
Usage: python bench/search.py [--datasets sms_spam,trec,bbc_news] [--trials 200]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

from textops._json import to_json

os.environ.setdefault("HF_HUB_OFFLINE", "1")
warnings.filterwarnings("ignore")


def _splits(ds: Any) -> tuple[list[str], list[str], list[str], list[str]]:
    tr = ds.texts("train") + ds.texts("validation")
    ytr = ds.labels("train") + ds.labels("validation")
    return tr, ytr, ds.texts("test"), ds.labels("test")


def baseline_tfidf(ds: Any) -> dict[str, Any]:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import f1_score
    from sklearn.model_selection import GridSearchCV
    from sklearn.pipeline import make_pipeline

    tr, ytr, te, yte = _splits(ds)
    t = time.perf_counter()
    pipe = make_pipeline(
        TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True), LogisticRegression(max_iter=3000)
    )
    grid = GridSearchCV(
        pipe, {"logisticregression__C": [0.01, 0.1, 1, 10, 100]}, cv=5, scoring="f1_macro", n_jobs=1
    ).fit(tr, ytr)
    f1 = f1_score(yte, grid.predict(te), average="macro")
    return {"macro_f1": round(float(f1), 4), "seconds": round(time.perf_counter() - t, 1)}


def baseline_minilm(ds: Any, key: str = "minilm") -> dict[str, Any]:
    """Frozen ``key`` embeddings (MiniLM unless named; a cold encode) + logistic regression."""
    from sentence_transformers import SentenceTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import f1_score

    from textops.embed._sbert import resolve_model

    tr, ytr, te, yte = _splits(ds)
    t = time.perf_counter()
    st = SentenceTransformer(str(resolve_model(key)), device="cpu")
    xtr = st.encode(tr, batch_size=64, normalize_embeddings=True)
    xte = st.encode(te, batch_size=64, normalize_embeddings=True)
    f1 = f1_score(
        yte, LogisticRegression(max_iter=3000).fit(xtr, ytr).predict(xte), average="macro"
    )
    return {"macro_f1": round(float(f1), 4), "seconds": round(time.perf_counter() - t, 1)}


def textops_search(
    home: Path, dataset: str, timeout: float | None, trials: int, study: str = "bench", **kw: Any
) -> dict[str, Any]:
    from textops.search import SearchConfig, run_search
    from textops.track import MlflowTracker

    cfg = SearchConfig(dataset=dataset, trials=trials, timeout=timeout, study=study, **kw)
    start = time.perf_counter()
    r = to_json(run_search(cfg, home=home, tracker=MlflowTracker(home=home), show_progress=False))
    seconds = time.perf_counter() - start  # before reading the study back for the report

    def took(trial: Any) -> float:
        return float((trial.datetime_complete - trial.datetime_start).total_seconds())

    done = [x for x in _study(home, cfg.study_name).get_trials() if x.datetime_complete]
    return {
        # where a budget went: the two longest trials (embedder+head, seconds, state)
        "slowest_trials": [
            f"{x.user_attrs.get('embedder')}+{x.user_attrs.get('head')} {took(x):.1f}s "
            f"{x.state.name}"
            for x in sorted(done, key=took, reverse=True)[:2]
        ],
        "macro_f1": round(r["test"]["macro_f1"], 4),
        "seconds": round(seconds, 1),
        "finalize_seconds": r["finalize_seconds"],
        "finalize_estimate_seconds": r["finalize_estimate_seconds"],
        "trials": r["trials"],
        "trials_failed": r["trials_failed"],
        "best": f"{r['best']['embedder']}+{r['best']['head']}",
        "skipped": [p["key"] for p in r["embedders"] if not p["included"]],
        "model_uri": r["model_uri"],
        "trained_plan": [
            f"{p['embedder']}+{p['head']}: {p['reason']}" for p in r.get("trained_plan", [])
        ],
        "stopped_by_budget": len(r["stopped_by_budget"]),
        "trained_heads_stopped": [x for x in r["stopped_by_budget"] if "epoch" in x][:3],
        "ensemble": r.get("ensemble"),
    }


def compare(dataset: str, trials: int) -> dict[str, Any]:
    from textops.data import builtin_source, ingest

    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        ds = ingest([builtin_source(dataset)], dataset, home=home)
        a = baseline_tfidf(ds)
        b = baseline_minilm(ds)
        s = textops_search(home, dataset, timeout=a["seconds"] + b["seconds"], trials=trials)
        single = None
        if s["ensemble"] is not None and s["ensemble"]["chosen"]:
            # E: the same study finalised again without the ensemble (trials=1: none run)
            single = textops_search(home, dataset, None, 1, ensemble=False, register_model=False)
    best = max(a["macro_f1"], b["macro_f1"])
    return {
        "dataset": dataset,
        "tfidf_logreg_cv": a,
        "minilm_logreg": b,
        "search": s,
        "search_minus_best_baseline": round(s["macro_f1"] - best, 4),
        "search_time_vs_baselines": round(s["seconds"] / (a["seconds"] + b["seconds"]), 2),
        "ensemble_adds_on_test": None
        if single is None
        else round(s["macro_f1"] - single["macro_f1"], 4),
    }


def ensemble_effect(dataset: str, trials: int) -> dict[str, Any]:
    """A trials-bounded search with its ensemble against the same study's winner alone."""
    from textops.data import builtin_source, ingest
    from textops.search._config import DEFAULT_EMBEDDERS

    embedders = tuple(k for k in DEFAULT_EMBEDDERS if k not in ("mpnet", "e5"))
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        ingest([builtin_source(dataset)], dataset, home=home)
        both = textops_search(home, dataset, None, trials, study="ens", embedders=embedders)
        alone = textops_search(home, dataset, None, trials, study="ens", embedders=embedders,
                               ensemble=False, register_model=False)  # fmt: skip
    return {"dataset": dataset, "trials": trials, "with_ensemble": both["macro_f1"],
            "best": both["best"], "alone": alone["macro_f1"], "alone_best": alone["best"],
            "ensemble": both["ensemble"],
            "adds_on_test": round(both["macro_f1"] - alone["macro_f1"], 4)}  # fmt: skip


def _study(home: Path, name: str) -> Any:
    import optuna

    from textops.search._study import make_storage

    return optuna.load_study(study_name=name, storage=make_storage(None, home))


def _trials_per_s(home: Path, study: str) -> float:
    """Finished trials over the wall time from the first trial's start to the last one's end
    (sampling, storage and tracking between trials included)."""
    st = _study(home, study)
    done = [t for t in st.get_trials() if t.datetime_complete and t.datetime_start]
    span = max(t.datetime_complete for t in done) - min(t.datetime_start for t in done)
    return len(done) / span.total_seconds()


LINEAR_HEADS = ("logreg", "linear_svm", "ridge")
REPEATS = 3


def cv_solvers(home: Path) -> dict[str, Any]:
    """Per-fit seconds on one CV fold (2/3 of TREC train, MiniLM, one BLAS thread) over 16 C
    values drawn log-uniformly from the search's range: liblinear's LinearSVC vs the CV's
    Newton solver, cold and warm-started by the search's own WarmStarts (from the nearest C
    fitted before), and sklearn's logistic regression cold and warm (what CV uses on
    embeddings); then logistic regression on a TF-IDF fold, sklearn's vs the CV's L-BFGS."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression
    from sklearn.svm import LinearSVC
    from threadpoolctl import threadpool_limits

    from textops.data import DatasetStore
    from textops.embed import EmbeddingCache, encode_texts, make_embedder
    from textops.model._l2svm import NewtonLinearSVC
    from textops.search._fitting import WarmStarts

    ds = DatasetStore(home).get("trec")
    y = np.asarray(ds.labels("train"), dtype=object)
    X = encode_texts(
        make_embedder("minilm"), ds.texts("train"), EmbeddingCache(home=home), show_progress=False
    ).vectors
    n = 2 * len(y) // 3
    Xtr, ytr, Xva = X[:n].copy(), y[:n], X[n:]
    Xtr.setflags(write=False)  # as the search's fold arrays: fits share X'X (see _l2svm)
    times: dict[str, list[float]] = {k: [] for k in ("liblinear", "newton", "newton_warm")}
    times.update(logreg=[], logreg_warm=[])
    iters: dict[str, list[int]] = {"logreg": [], "logreg_warm": []}
    agree: list[float] = []

    def fit(key: str, est: Any) -> Any:
        t = time.perf_counter()
        est.fit(Xtr, ytr)
        times[key].append(time.perf_counter() - t)
        return est

    warm = WarmStarts()
    attrs = ("coef_", "intercept_")

    def fit_warm(key: str, head: str, est: Any, C: float) -> Any:
        token = warm.start(est, "minilm", head, 0, {"C": C}, attrs)
        assert token is not None
        fit(key, est)
        warm.keep(est, token, attrs)
        return est

    rng = np.random.default_rng(0)
    with threadpool_limits(1, user_api="blas"):
        for C in np.exp(rng.uniform(np.log(1e-3), np.log(10.0), 16)):
            ref = fit("liblinear", LinearSVC(C=C))
            fit("newton", NewtonLinearSVC(C=C))
            fast = fit_warm("newton_warm", "linear_svm", NewtonLinearSVC(C=C), C)
            agree.append(float(np.mean(fast.predict(Xva) == ref.predict(Xva))))
            cold = fit("logreg", LogisticRegression(C=C, max_iter=3000))
            iters["logreg"].append(int(cold.n_iter_[0]))
            lr = fit_warm("logreg_warm", "logreg", LogisticRegression(C=C, max_iter=3000), C)
            iters["logreg_warm"].append(int(lr.n_iter_[0]))
    out: dict[str, Any] = {
        f"{k}_median_s": round(statistics.median(v), 3) for k, v in times.items()
    }
    out.update({f"{k}_median_iter": statistics.median(v) for k, v in iters.items()})
    out["newton_vs_liblinear_min_label_agreement"] = round(min(agree), 4)
    # the criterion each CV solver is kept by: its gain over sklearn warm-started the same way
    out["newton_gain_vs_liblinear_cold"] = round(
        statistics.median(times["liblinear"]) / statistics.median(times["newton"]), 2
    )
    out.update(_sparse_logreg(ds))
    return out


def _sparse_logreg(ds: Any) -> dict[str, Any]:
    """Logistic regression on a TF-IDF fold (word + character n-grams of 2/3 of TREC train):
    sklearn's LogisticRegression(warm_start=True) vs the CV's numpy L-BFGS warm-started the
    same way, over 16 C values of the search's range, each fit one after another and two at
    once (two trial threads share the GIL)."""
    import threading

    import numpy as np
    from sklearn.linear_model import LogisticRegression
    from threadpoolctl import threadpool_limits

    from textops.embed import make_embedder
    from textops.model._lbfgs import LbfgsLogisticRegression

    texts, y = ds.texts("train"), np.asarray(ds.labels("train"), dtype=object)
    n = 2 * len(y) // 3
    emb = make_embedder("tfidf_wc").fit(texts[:n])
    Xtr = emb.transform(texts[:n])
    rng = np.random.default_rng(1)
    Cs = sorted(np.exp(rng.uniform(np.log(1e-3), np.log(1e2), 16)))

    def chain(make: Any) -> float:
        """Seconds for the 16 fits, each starting from the previous one's solution."""
        est = make(Cs[0])
        t = time.perf_counter()
        for C in Cs:
            est.set_params(C=C)
            est.fit(Xtr, y[:n])
        return time.perf_counter() - t

    def sk(C: float) -> Any:
        return LogisticRegression(C=C, max_iter=3000, warm_start=True)

    def ours(C: float) -> Any:
        return LbfgsLogisticRegression(C=C, warm_start=True)

    def two_at_once(make: Any) -> float:
        done: list[float] = []
        workers = [threading.Thread(target=lambda: done.append(chain(make))) for _ in range(2)]
        t = time.perf_counter()
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        return time.perf_counter() - t

    with threadpool_limits(1, user_api="blas"):
        sk_s, ours_s = chain(sk), chain(ours)
        sk_2, ours_2 = two_at_once(sk), two_at_once(ours)
    return {
        "sparse_columns": int(Xtr.shape[1]),
        "sparse_sklearn_warm_chain_s": round(sk_s, 2),
        "sparse_lbfgs_warm_chain_s": round(ours_s, 2),
        "lbfgs_sparse_gain_vs_sklearn_warm": round(sk_s / ours_s, 2),
        "sparse_two_threads_sklearn_s": round(sk_2, 2),
        "sparse_two_threads_lbfgs_s": round(ours_2, 2),
        "lbfgs_sparse_gain_two_threads": round(sk_2 / ours_2, 2),
    }


def cold_vs_warm(trials: int) -> dict[str, Any]:
    from textops.data import IngestConfig, builtin_source, ingest

    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        cfg = IngestConfig.model_validate({"splits": {"test": 0.02, "validation": 0.02}})
        ds = ingest([builtin_source("trec")], "trec", cfg, home=home)
        n_train = len(ds.texts("train"))
        kw: dict[str, Any] = {"embedders": ("minilm",), "heads": LINEAR_HEADS, "cv_folds": 3}
        cold = textops_search(home, "trec", None, trials, study="cold", **kw)
        warm = textops_search(home, "trec", None, trials, study="warm", **kw)
        # the same study differs by up to ~25% between runs on a 2-core VM (threads, TPE's
        # path, which warm starts are near): the median of REPEATS studies per head
        per_head, runs = {}, {}
        for head in LINEAR_HEADS:
            one = {**kw, "heads": (head,)}
            rates = []
            for rep in range(REPEATS):
                name = f"warm-{head}-{rep}"
                textops_search(home, "trec", None, trials, study=name, seed=rep, **one)
                rates.append(round(_trials_per_s(home, name), 2))
            per_head[head], runs[head] = statistics.median(rates), rates
        mixed = _trials_per_s(home, "warm")
        solvers = cv_solvers(home)
    return {
        "train_texts": n_train,
        "trials": trials,
        "cold_seconds": cold["seconds"],
        "warm_seconds": warm["seconds"],
        "cold_vs_warm": round(cold["seconds"] / warm["seconds"], 1),
        "warm_trials_per_s_linear_heads": round(mixed, 2),
        "warm_trials_per_s_by_head": per_head,
        "warm_trials_per_s_runs": runs,
        "cv_solvers": solvers,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--datasets", default="sms_spam,trec,bbc_news")
    ap.add_argument("--trials", type=int, default=200)
    ap.add_argument(
        "--warm-trials",
        type=int,
        default=30,
        help="trials per study in the cold/warm part (30: textops search's default); 0 skips it",
    )
    ap.add_argument(
        "--solvers-only", action="store_true", help="only the CV solvers' per-fit seconds"
    )
    ap.add_argument(
        "--ensemble-trials", type=int, default=0,
        help="per dataset, a search of N trials (no time limit) with and without its ensemble "
        "(0 skips it); with it, only this part runs",
    )  # fmt: skip
    args = ap.parse_args()
    if args.solvers_only:
        from textops.data import IngestConfig, builtin_source, ingest

        with tempfile.TemporaryDirectory() as tmp:
            cfg = IngestConfig.model_validate({"splits": {"test": 0.02, "validation": 0.02}})
            ingest([builtin_source("trec")], "trec", cfg, home=Path(tmp))
            print(f"CV solvers, one TREC fold, per fit: {cv_solvers(Path(tmp))}")
        return
    if args.ensemble_trials > 0:
        effects = []
        for name in args.datasets.split(","):
            e = ensemble_effect(name, args.ensemble_trials)
            effects.append(e)
            ens = e["ensemble"]
            judged = "not judged (fewer than two members)" if ens is None else (
                f"{ens['method']} of trials {ens['trials']}: cv {ens['cv_macro_f1']:.4f} vs best "
                f"member {max(ens['members_cv']):.4f}, {'kept' if ens['chosen'] else 'not kept'}"
            )  # fmt: skip
            print(f"{name:9} {e['trials']} trials: ensemble {judged}; test {e['with_ensemble']:.4f}"
                  f" ({e['best']}) vs the winner alone {e['alone']:.4f} ({e['alone_best']}): "
                  f"{e['adds_on_test']:+.4f}", flush=True)  # fmt: skip
        print(json.dumps({"ensemble_effect": effects}))
        return
    results = []
    for name in args.datasets.split(","):
        r = compare(name, args.trials)
        results.append(r)
        a, b, s = r["tfidf_logreg_cv"], r["minilm_logreg"], r["search"]
        print(
            f"{name:9} TF-IDF+LR(CV) {a['macro_f1']:.4f} in {a['seconds']:.0f}s | MiniLM+LR "
            f"{b['macro_f1']:.4f} in {b['seconds']:.0f}s | search {s['macro_f1']:.4f} in "
            f"{s['seconds']:.0f}s ({s['trials']} trials, {s['trials_failed']} failed, best "
            f"{s['best']}, skipped "
            f"{s['skipped']}; finalize {s['finalize_seconds']:.1f}s, estimated "
            f"{s['finalize_estimate_seconds']}s; slowest {s['slowest_trials']}) -> "
            f"{r['search_minus_best_baseline']:+.4f} vs "
            "best baseline, "
            f"{r['search_time_vs_baselines']:.2f}x their time",
            flush=True,
        )
        e = s["ensemble"]
        if e is None:
            print(f"{name:9} ensemble: not judged (fewer than two members, or no time left)")
        else:
            print(
                f"{name:9} ensemble {e['method']} of trials {e['trials']}: cv "
                f"{e['cv_macro_f1']:.4f} vs best member {max(e['members_cv']):.4f} "
                f"({'kept' if e['chosen'] else 'not kept'}, judged in {e['seconds']}s)"
                + (
                    ""
                    if r["ensemble_adds_on_test"] is None
                    else f"; adds {r['ensemble_adds_on_test']:+.4f} on test"
                ),
                flush=True,
            )
    cw = cold_vs_warm(args.warm_trials) if args.warm_trials > 0 else None
    if cw is not None:
        print(
            f"TREC, {cw['train_texts']:,} train texts, {cw['trials']} trials (minilm, linear "
            f"heads {', '.join(LINEAR_HEADS)}): cold {cw['cold_seconds']:.0f}s, warm "
            f"{cw['warm_seconds']:.0f}s ({cw['cold_vs_warm']}x); warm trials/s "
            f"{cw['warm_trials_per_s_linear_heads']} (one head each, median of {REPEATS} "
            f"studies: {cw['warm_trials_per_s_by_head']}; all: {cw['warm_trials_per_s_runs']})"
        )
        print(f"CV solvers, one TREC fold, per fit: {cw['cv_solvers']}")
    print(json.dumps({"datasets": results, "cold_vs_warm": cw}))


if __name__ == "__main__":
    main()
