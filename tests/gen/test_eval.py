"""`gen eval`: each metric equals a direct computation; classifier shares; MLflow runs per
setting; diversity rises with temperature on a trained generator."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np
import pytest
import sacrebleu
from typer.testing import CliRunner

from tests.conftest import Registered
from tests.gen.test_gen import corpus
from textops.cli import app
from textops.gen import (
    Generation,
    distinct_n,
    embedding_diversity,
    evaluate_generations,
    self_bleu,
)

TEXTS = {
    (0.7, 0.9): ["bank loan rate", "bank loan price", "bank rate market price", "loan again"],
    (1.2, 0.9): ["football match goal", "software laptop code", "bank loan", "cloud chip phone"],
}


def _gens() -> list[Generation]:
    return [Generation("m", "p", t, p, 0, i, text) for (t, p), texts in TEXTS.items()
            for i, text in enumerate(texts)]  # fmt: skip


def _direct_diversity(vectors: np.ndarray) -> float:
    sims = [float(a @ b / np.linalg.norm(a) / np.linalg.norm(b))
            for a, b in itertools.combinations(vectors, 2)]  # fmt: skip
    return 1 - float(np.mean(sims))


def test_each_metric_equals_a_direct_computation() -> None:
    from textops.embed import make_embedder

    report = evaluate_generations(_gens(), tracking_uri="sqlite://", embedder_key="fake")
    emb = make_embedder("fake").fit([])
    for s in report.settings:
        texts = TEXTS[(s.temperature, s.top_p)]
        assert s.diversity == pytest.approx(_direct_diversity(emb.transform(texts)), abs=1e-6)
        words = [t.split() for t in texts]
        bigrams = [tuple(w[i : i + 2]) for w in words for i in range(len(w) - 1)]
        assert s.distinct_2 == pytest.approx(len(set(bigrams)) / len(bigrams))
        bleu = np.mean([sacrebleu.sentence_bleu(t, texts[:i] + texts[i + 1 :]).score
                        for i, t in enumerate(texts)]) / 100  # fmt: skip
        assert s.self_bleu == pytest.approx(bleu)
        assert s.mean_words == pytest.approx(np.mean([len(w) for w in words]))
    hot, cold = report.settings[1], report.settings[0]
    assert hot.diversity > cold.diversity and hot.distinct_1 > cold.distinct_1
    assert report.best is None and "no quality classifier" in report.best_reason
    assert distinct_n(["a a a"], 1) == pytest.approx(1 / 3)
    assert np.isnan(embedding_diversity(np.ones((1, 3)))) and np.isnan(self_bleu(["x"]))


@pytest.mark.integration
def test_diversity_with_e5_equals_one_minus_mean_pairwise_cosine() -> None:
    from textops.embed import make_embedder

    texts = ["Сегодня звёзды благоприятствуют Овнам.", "Тельцам стоит отдохнуть.",
             "Today the stars favour Virgo.", "Отличный день для новых начинаний."]  # fmt: skip
    gens = [Generation("m", "", 1.0, 0.9, 0, i, t) for i, t in enumerate(texts)]
    (s,) = evaluate_generations(gens, tracking_uri="sqlite://").settings
    vectors = make_embedder("e5").fit([]).transform(texts)
    assert s.diversity == pytest.approx(_direct_diversity(np.asarray(vectors)), abs=1e-4)


def test_gen_eval_cli_scores_with_a_classifier_and_logs_runs(
    registered: Registered, tmp_path: Path
) -> None:
    path = tmp_path / "gens.jsonl"
    path.write_text("".join(json.dumps(g.__dict__) + "\n" for g in _gens()))
    page = tmp_path / "eval.html"
    res = CliRunner().invoke(
        app, ["gen", "eval", str(path), "--embedder", "fake", "--acceptability",
              "models:/topics@champion", "--acceptable-label", "money", "--sentiment",
              "models:/topics@champion", "--negative-label", "tech", "--html", str(page),
              "--tracking-uri", registered.tracking_uri, "--json"],
        env={"TEXTOPS_HOME": str(registered.home)},
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    report = json.loads(res.stdout)
    from textops.track import MlflowTracker, load_classifier

    clf, _ = load_classifier("models:/topics@champion", registered.tracking_uri)
    for s in report["settings"]:
        labels = clf.predict(TEXTS[(s["temperature"], s["top_p"])])
        assert s["acceptability"] == pytest.approx(np.mean([x == "money" for x in labels]))
        assert s["non_negative"] == pytest.approx(np.mean([x != "tech" for x in labels]))
    assert report["best"] in {"t=0.7,p=0.9", "t=1.2,p=0.9"}
    client = MlflowTracker(registered.tracking_uri).client
    children = client.search_runs(
        [client.get_run(report["run_id"]).info.experiment_id],
        f"tags.mlflow.parentRunId = '{report['run_id']}'",
    )
    assert sorted(r.info.run_name for r in children) == ["t=0.7,p=0.9", "t=1.2,p=0.9"]
    assert "data:image/png;base64," in page.read_text()
    bad = CliRunner().invoke(
        app, ["gen", "eval", str(path), "--embedder", "fake", "--acceptability",
              "models:/topics@champion", "--tracking-uri", registered.tracking_uri, "--no-log"],
    )  # fmt: skip
    assert bad.exit_code == 2 and "--acceptable-label" in bad.output


def test_diversity_rises_with_temperature_on_a_trained_generator(home: Path) -> None:
    from textops.data import IngestConfig, MemorySource, ingest
    from textops.gen import Decoding, GenTrainConfig, sweep, train_generator
    from textops.gen._run import load_generator
    from textops.track import default_tracking_uri

    ingest([MemorySource("horo", corpus(240))], "horo", IngestConfig(task="generation"),
           home=home)  # fmt: skip
    # enough epochs that cold samples are words of the corpus and hot ones are not
    train_generator(GenTrainConfig(dataset="horo", model="scratch", epochs=8, max_length=32, vocab_size=300,
                                   timeout=120), home=home)  # fmt: skip
    gen = load_generator("models:/horo@champion", default_tracking_uri(home))
    gens = list(
        sweep(
            gen,
            "g",
            ["Овен", "Cancer"],
            [0.2, 1.5],
            [1.0],
            n=12,
            decoding=Decoding(max_new_tokens=12),
        )
    )
    report = evaluate_generations(gens, tracking_uri="sqlite://", embedder_key="fake",
                                  generator=gen)  # fmt: skip
    cold, hot = report.settings
    assert (cold.temperature, hot.temperature) == (0.2, 1.5)
    assert hot.diversity > cold.diversity and hot.distinct_1 > cold.distinct_1
    assert hot.perplexity is not None and cold.perplexity is not None
    assert hot.perplexity > cold.perplexity  # hotter samples are less likely under the model


def test_a_registered_generator_names_the_corpus_it_was_trained_on(gen_home: Path) -> None:
    """What `gen eval` reads to count copies of training texts."""
    from textops.data import DatasetStore
    from textops.gen import Generator, TrainedOn, load_generator
    from textops.track import default_tracking_uri

    gen = load_generator("models:/horo@champion", default_tracking_uri(gen_home))
    corpus = gen.trained_on
    assert corpus == TrainedOn("horo", DatasetStore(gen_home).get("horo").version)
    assert Generator(model=None, tokenizer=None).trained_on is None
