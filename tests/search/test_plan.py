from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from textops._json import to_json
from textops.embed import EmbeddingCache, encode_texts, make_embedder, text_keys
from textops.search._budget import Budget
from textops.search._plan import EmbedderPlan, plan_embedders

TEXTS = [f"text {i} about cats and dogs" for i in range(300)]


def test_an_encode_that_cannot_fit_the_budget_is_never_started(tmp_path: Path) -> None:
    cache = EmbeddingCache(tmp_path)
    (plan,) = plan_embedders(
        ["fake"], TEXTS, text_keys(TEXTS), cache, budget=_budget(0.001), fit_texts=TEXTS
    )
    assert not plan.included and "budget" in plan.reason
    assert plan.rate is not None and plan.missing == 300
    assert len(cache.space_for(make_embedder("fake"))) == 0  # nothing was encoded


def test_cached_embeddings_cost_nothing_and_load_no_model_unless_latency_is_wanted(
    tmp_path: Path,
) -> None:
    cache = EmbeddingCache(tmp_path)
    encode_texts(make_embedder("fake"), TEXTS, cache)
    (plan,) = plan_embedders(
        ["fake"],
        TEXTS,
        text_keys(TEXTS),
        cache,
        budget=_budget(0.001),
        fit_texts=TEXTS,
        measure_latency=False,
    )
    assert plan.included and plan.estimated_s == 0 and plan.missing == 0
    assert plan.latency_ms is None  # the model was not loaded just to time it
    (timed,) = plan_embedders(
        ["fake"],
        TEXTS,
        text_keys(TEXTS),
        cache,
        budget=_budget(None),
        fit_texts=TEXTS,
        measure_latency=True,
    )
    assert timed.latency_ms is not None and timed.latency_ms > 0


def _budget(seconds: float | None) -> Budget:
    return Budget.start(seconds)


def _plan_f1(
    keys: list[str], texts: list[str], cache: EmbeddingCache, budget: Budget
) -> list[EmbedderPlan]:
    """The plan for the f1 objective (latency measured only where it is cheap)."""
    return plan_embedders(
        keys,
        texts,
        text_keys(texts),
        cache,
        budget=budget,
        fit_texts=texts,
        measure_latency=False,
    )


def test_a_hybrid_plans_its_dense_views_encode_shared_with_that_embedder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from textops.embed import SentenceTransformerEmbedder

    loads: list[int] = []
    original = SentenceTransformerEmbedder._load

    def counting(self: SentenceTransformerEmbedder) -> object:
        if getattr(self, "model_", None) is None:
            loads.append(1)
        return original(self)

    monkeypatch.setattr(SentenceTransformerEmbedder, "_load", counting)
    cache = EmbeddingCache(tmp_path)
    texts = TEXTS[:40]
    plans = _plan_f1(["minilm", "tfidf_minilm"], texts, cache, budget=_budget(600))
    assert loads == [1]  # one MiniLM for both plans
    by_key = {p.key: p for p in plans}
    assert all(p.included and p.missing == len(texts) for p in plans)
    # MiniLM's texts were encoded once, by one of the two plans
    assert sorted(p.encode_s > 0 for p in plans) == [False, True]
    assert len(cache.space_for(make_embedder("minilm"))) == len(texts)
    assert by_key["tfidf_minilm"].latency_ms is None  # no model loaded just to time it


def test_a_hybrid_whose_dense_view_cannot_be_encoded_in_time_is_left_out(tmp_path: Path) -> None:
    cache = EmbeddingCache(tmp_path)
    texts = TEXTS[:40]
    (plan,) = _plan_f1(["tfidf_minilm"], texts, cache, budget=_budget(0.001))
    assert not plan.included and "budget" in plan.reason
    assert len(cache.space_for(make_embedder("minilm"))) == 0


def test_a_search_without_a_deadline_measures_and_encodes_nothing_up_front(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Bounded by trials only, the trials encode what they reach (none of them here)."""
    from textops.embed import SentenceTransformerEmbedder

    def fail(self: SentenceTransformerEmbedder) -> object:
        raise AssertionError("a model was loaded")

    monkeypatch.setattr(SentenceTransformerEmbedder, "_load", fail)
    cache = EmbeddingCache(tmp_path)
    plans = _plan_f1(
        ["minilm", "mpnet", "static", "tfidf"], TEXTS[:40], cache, budget=_budget(None)
    )
    assert all(p.included and p.encode_s == 0 and p.rate is None for p in plans)
    order = [p.key for p in sorted(plans, key=lambda p: p.cost)]
    assert order.index("static") < order.index("minilm") < order.index("mpnet")


def test_a_remembered_rate_plans_without_loading_the_model(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = EmbeddingCache(tmp_path)
    texts = TEXTS[:40]
    (first,) = _plan_f1(["fake"], texts, cache, budget=_budget(-1))
    assert first.rate_source == "measured" and not first.included
    remembered = cache.rates.get(cache.space_for(make_embedder("fake")).id)
    assert remembered is not None and remembered.chars_per_s > 0

    def fail(self: object, texts: object) -> object:
        raise AssertionError("encoded to measure a rate it remembers")

    from textops.embed._fake import HashingFakeEmbedder

    monkeypatch.setattr(HashingFakeEmbedder, "transform", fail)
    (again,) = _plan_f1(["fake"], texts, cache, budget=_budget(-1))
    assert again.rate_source == "remembered" and not again.included
    assert "remembered" in again.reason
    # a full encode within the budget updates the memory with its own rate
    monkeypatch.undo()
    (full,) = _plan_f1(["fake"], texts, cache, budget=_budget(600))
    assert full.included and full.encode_s > 0
    after = cache.rates.get(cache.space_for(make_embedder("fake")).id)
    assert after is not None and after.measured_at >= remembered.measured_at


def _slow(cache: EmbeddingCache, key: str) -> Any:
    """``key``'s cache space, remembered (three times: trusted) encoding 3 texts/s: the 300
    texts need ~100 s, and a 60 s budget leaves ~42 s to encode a sample."""
    space = cache.space_for(make_embedder(key))
    chars = sum(len(t) for t in TEXTS)
    for _ in range(3):
        cache.rates.put(space.id, chars=chars, texts=300, seconds=100.0, load_s=0.0)
    return space


def test_an_embedder_too_slow_for_all_rows_is_encoded_for_a_stratified_sample(
    tmp_path: Path,
) -> None:
    from textops.search._plan import SampleFrame

    cache = EmbeddingCache(tmp_path)
    space = _slow(cache, "fake")
    labels = ["a", "b", "c"] * 80
    frame = SampleFrame(train=list(range(240)), labels=labels, test=list(range(270, 300)), folds=3)
    (plan,) = plan_embedders(
        ["fake"], TEXTS, text_keys(TEXTS), cache, budget=_budget(60), fit_texts=TEXTS, frame=frame
    )
    assert plan.included and plan.sample is not None and "sample" in plan.reason
    assert 48 <= plan.rows == len(plan.sample) < 240  # type: ignore[operator]
    picked = [labels[i] for i in plan.sample]
    assert {picked.count(x) for x in "abc"} <= {len(picked) // 3, len(picked) // 3 + 1}
    _, found = space.get(text_keys(TEXTS))
    want = set(plan.sample) | set(range(270, 300))
    assert {i for i, hit in enumerate(found) if hit} == want  # the sample and test, no more
    assert "sample" not in to_json(plan) and to_json(plan)["rows"] == plan.rows


def test_a_search_cross_validates_and_refits_a_sampled_embedder_on_its_sample(
    topics: Any, home: Path
) -> None:
    from textops.search import SearchConfig, run_search
    from textops.track import MemoryTracker

    cache = EmbeddingCache(home=home)
    space = cache.space_for(make_embedder("fake"))
    # remembered (trusted): 1.5 texts/s: all 300 texts need ~200 s, a 120 s budget encodes ~84 s
    chars = sum(len(t) for t in topics.texts("train") + topics.texts("test"))
    n = len(topics.texts("train")) + len(topics.texts("test"))
    for _ in range(3):
        cache.rates.put(space.id, chars=chars, texts=n, seconds=n / 1.5, load_s=0.0)
    cfg = SearchConfig(dataset="topics", embedders=("fake",), heads=("logreg",), trials=3,
                       timeout=120, cv_folds=3)  # fmt: skip
    report = run_search(cfg, home=home, tracker=MemoryTracker())
    (plan,) = report.embedders
    assert plan.included and plan.rows is not None
    assert 48 <= plan.rows < len(topics.texts("train"))
    assert report.trials_complete == 3
    n_test = topics.manifest["splits"]["test"]["rows"]
    assert report.test.n == n_test  # scored on the whole test split
    # nothing but the sample and the test split was ever encoded (trials, refit, reference)
    assert len(space) == plan.rows + n_test


def test_a_few_labelled_texts_are_encoded_while_timed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from textops.embed._fake import HashingFakeEmbedder

    cache = EmbeddingCache(tmp_path)
    texts = TEXTS[:20]  # fewer than a rate sample
    seen: list[str] = []
    encode = HashingFakeEmbedder.transform

    def counted(self: Any, batch: Any) -> Any:
        seen.extend(batch)
        return encode(self, batch)

    monkeypatch.setattr(HashingFakeEmbedder, "transform", counted)
    (plan,) = _plan_f1(["fake"], texts, cache, budget=_budget(600))
    assert plan.included and plan.missing == 0 and plan.cached == 20
    assert plan.rate_source == "measured" and plan.rate and plan.encode_s > 0
    _, found = cache.space_for(make_embedder("fake")).get(text_keys(texts))
    assert found.all()
    # one text to load the model, then each text once: timing them was the encode (then
    # nine one-at-a-time calls time its latency, which orders the embedders)
    assert seen[:21] == texts[:1] + texts and len(seen) == 21 + 9


def test_no_model_is_loaded_once_the_encode_share_of_the_budget_is_spent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from textops.embed._fake import HashingFakeEmbedder

    def fail(self: object, texts: object) -> object:
        raise AssertionError("loaded a model with no time left to encode")

    monkeypatch.setattr(HashingFakeEmbedder, "loads_model", True)
    monkeypatch.setattr(HashingFakeEmbedder, "transform", fail)
    (plan,) = _plan_f1(["fake"], TEXTS, EmbeddingCache(tmp_path), budget=_budget(-1))
    assert not plan.included and "no time" in plan.reason


def test_a_short_budget_plans_the_quickest_loads_first_and_skips_a_slow_load(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from textops.embed import EMBEDDERS
    from textops.search import _plan

    assert EMBEDDERS["static"].load_s > EMBEDDERS["mpnet"].load_s > EMBEDDERS["minilm"].load_s
    order = sorted(["static", "mpnet", "tfidf", "minilm"], key=_plan._plan_order)
    assert order == ["tfidf", "minilm", "mpnet", "static"]
    planned: list[str] = []

    def fake_one(key: str, *args: Any) -> EmbedderPlan:
        planned.append(key)
        return EmbedderPlan(key, 0, 0, None, 0.0, None)

    monkeypatch.setattr(_plan, "_plan_one", fake_one)
    plans = _plan_f1(["static", "mpnet", "minilm"], TEXTS, EmbeddingCache(tmp_path), _budget(60))
    assert planned == ["minilm", "mpnet", "static"]
    assert [p.key for p in plans] == ["static", "mpnet", "minilm"]  # reported as asked
    # static vectors' tokenizer takes seconds to load: not started with less encode time left
    monkeypatch.undo()
    (plan,) = _plan_f1(["static"], TEXTS, EmbeddingCache(tmp_path), _budget(3.0))
    assert not plan.included and "loads in" in plan.reason


def test_a_rate_remembered_from_a_busy_moment_is_measured_again(tmp_path: Path) -> None:
    """One remembered measurement that would leave the embedder out (taken while another
    process had the cores) is timed again now; the embedder is kept, and said to be
    measured now."""
    cache = EmbeddingCache(tmp_path)
    space = cache.space_for(make_embedder("fake"))
    chars = sum(len(t) for t in TEXTS)
    cache.rates.put(space.id, chars=chars, texts=300, seconds=3000.0, load_s=0.0)  # 0.1/s
    (plan,) = plan_embedders(
        ["fake"], TEXTS, text_keys(TEXTS), cache, budget=_budget(60), fit_texts=TEXTS
    )
    assert plan.included and plan.rate_source == "measured" and plan.rate > 10
    assert len(space) == 300  # encoded in full
    remembered = cache.rates.get(space.id)
    assert remembered is not None and remembered.count >= 2


def test_rates_keep_the_median_of_recent_measurements(tmp_path: Path) -> None:
    import json
    import time

    from textops.embed._rates import KEEP, MAX_AGE_DAYS

    cache = EmbeddingCache(tmp_path)
    for seconds in (1.0, 1.0, 100.0, 1.0):  # one measurement on a busy machine
        cache.rates.put("s", chars=1000, texts=100, seconds=seconds, load_s=0.5)
    got = cache.rates.get("s")
    assert got is not None and got.texts_per_s == 100.0 and got.count == 4
    for _ in range(KEEP):
        cache.rates.put("s", chars=1000, texts=100, seconds=2.0, load_s=0.5)
    assert cache.rates.get("s").count == KEEP  # type: ignore[union-attr]
    data = json.loads(cache.rates.path.read_text())
    for entry in data[cache.rates.machine]["s"]:  # all older than the age limit now
        entry["measured_at"] = time.time() - (MAX_AGE_DAYS + 1) * 86400
    cache.rates.path.write_text(json.dumps(data))
    assert cache.rates.get("s") is None
    cache.rates.put("s", chars=1000, texts=100, seconds=1.0, load_s=0.5)
    assert cache.rates.reset() == 1 and cache.rates.get("s") is None


def test_cache_rates_shows_and_forgets(tmp_path: Path, home: Path) -> None:
    from typer.testing import CliRunner

    from textops.cli import app

    cache = EmbeddingCache(home=home)
    space = cache.space_for(make_embedder("fake"))
    encode_texts(make_embedder("fake"), TEXTS[:5], cache)
    cache.rates.put(space.id, chars=500, texts=50, seconds=0.5, load_s=0.1)
    res = CliRunner().invoke(app, ["cache", "rates"])
    assert res.exit_code == 0 and "100.0 texts/s" in res.output and "1 measurement" in res.output
    res = CliRunner().invoke(app, ["cache", "rates", "--reset"])
    assert res.exit_code == 0 and "1 embedder" in res.output
    assert "no encode rate" in CliRunner().invoke(app, ["cache", "rates"]).output


@pytest.mark.integration
def test_a_rate_measured_in_this_search_is_said_to_be(tmp_path: Path) -> None:
    """In a fresh cache, the hybrid's MiniLM part is timed by MiniLM's own plan: measured
    now, not "remembered from an earlier search"."""
    cache = EmbeddingCache(tmp_path)
    texts = [f"a question about topic number {i}, please" for i in range(120)]
    # a budget with room to load and time MiniLM even on a loaded machine
    plans = plan_embedders(["minilm", "tfidf_minilm"], texts, text_keys(texts), cache,
                           budget=_budget(60), fit_texts=texts)  # fmt: skip
    by_key = {p.key: p for p in plans}
    assert by_key["minilm"].rate_source == "measured"
    assert by_key["tfidf_minilm"].rate_source in ("measured", "")
    assert all("remembered" not in p.reason for p in plans)


@pytest.mark.parametrize("keys", [["minilm", "tfidf_minilm"], ["tfidf_minilm", "minilm"]])
def test_a_hybrid_runs_on_the_sample_its_cached_part_was_encoded_for(
    tmp_path: Path, keys: list[str]
) -> None:
    from textops.search._plan import SampleFrame

    cache = EmbeddingCache(tmp_path)
    space = _slow(cache, "minilm")
    labels = ["a", "b", "c"] * 80
    frame = SampleFrame(train=list(range(240)), labels=labels, test=list(range(270, 300)), folds=3)
    plans = plan_embedders(keys, TEXTS, text_keys(TEXTS), cache, budget=_budget(60),
                           fit_texts=TEXTS, frame=frame, measure_latency=False)  # fmt: skip
    by_key = {p.key: p for p in plans}
    assert all(p.included and p.sample is not None for p in plans), [p.reason for p in plans]
    assert by_key["minilm"].sample == by_key["tfidf_minilm"].sample
    assert by_key["tfidf_minilm"].rows == by_key["minilm"].rows < 240  # type: ignore[operator]
    assert len(space) == len(by_key["minilm"].sample) + 30  # one sample encoded, and the test


def test_a_search_runs_a_hybrid_on_its_sample_when_its_part_cannot_be_encoded_whole(
    topics: Any, home: Path
) -> None:
    from textops.search import SearchConfig, run_search
    from textops.track import MemoryTracker

    cache = EmbeddingCache(home=home)
    space = cache.space_for(make_embedder("minilm"))
    # remembered (trusted): 1.5 texts/s: all texts need ~200 s, a 120 s budget encodes ~84 s
    n = len(topics.texts("train")) + len(topics.texts("test"))
    chars = sum(len(t) for t in topics.texts("train") + topics.texts("test"))
    for _ in range(3):
        cache.rates.put(space.id, chars=chars, texts=n, seconds=n / 1.5, load_s=0.0)
    cfg = SearchConfig(dataset="topics", embedders=("tfidf_minilm",), heads=("logreg",),
                       trials=2, timeout=120, cv_folds=3)  # fmt: skip
    report = run_search(cfg, home=home, tracker=MemoryTracker())
    (plan,) = report.embedders
    assert plan.included and plan.rows is not None and plan.rows < len(topics.texts("train"))
    assert report.trials_complete == 2 and report.best.embedder == "tfidf_minilm"
    assert report.test.n == topics.manifest["splits"]["test"]["rows"]
    assert len(space) == plan.rows + report.test.n  # trials, refit and reference: the sample
