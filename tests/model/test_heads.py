"""Every entry of the HEADS table fits, predicts calibrated-looking probabilities and persists."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import optuna
import pytest
from sklearn.base import clone

from tests.conftest import SPAM_LABELS, SPAM_TEXTS
from textops.data import NormalizationOptions
from textops.embed import make_embedder
from textops.errors import UnknownPluginError
from textops.model import HEADS, TextClassifier, build_head
from textops.search._pairing import compatible_heads

TEXTS = SPAM_TEXTS[:6] * 10
LABELS = SPAM_LABELS[:6] * 10


def _embedder_for(key: str) -> str:
    spec = HEADS[key]
    return next(iter(spec.embedders)) if spec.embedders else "fake"


# the heads that train on texts have their own test over the table (test_trained_heads)
@pytest.mark.parametrize("key", [k for k, spec in HEADS.items() if not spec.text_input])
def test_head_fits_predicts_and_round_trips(key: str, tmp_path: Path) -> None:
    ek = _embedder_for(key)
    emb = make_embedder(ek).fit(TEXTS)
    head = build_head(key, {}, scale=emb.needs_scaling).fit(emb.transform(TEXTS), LABELS)
    clf = TextClassifier(
        embedder_key=ek,
        embedder=emb,
        head_key=key,
        head=head,
        head_params={},
        normalization=NormalizationOptions(),
    )
    proba = clf.predict_proba(TEXTS[:6])
    assert proba.shape == (6, 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-6)
    assert clf.labels == ["ham", "spam"]
    loaded = TextClassifier.load(clf.save(tmp_path / key))
    np.testing.assert_array_equal(loaded.predict_proba(TEXTS[:6]), proba)
    assert not list((tmp_path / key).glob("*.pkl"))


@pytest.mark.parametrize("key", list(HEADS))
def test_each_spec_names_only_parameters_its_head_takes(key: str) -> None:
    """One spec per head: its space, few-labels values and row-bounded parameters are all
    keyword arguments of its factory, and what the space samples builds the head."""
    spec = HEADS[key]
    study = optuna.create_study()
    params = spec.space(study.ask())
    known = set(spec.defaults())
    assert set(params) <= known and set(spec.few_labels) <= known
    assert set(spec.at_most_rows) <= known
    est = build_head(key, params)
    assert clone(est).get_params()


def test_a_misspelt_parameter_is_an_error_not_the_default() -> None:
    from textops.errors import ConfigError

    with pytest.raises(ConfigError, match=r"head logreg: unknown parameter\(s\) c; it takes C"):
        build_head("logreg", {"c": 3.0})
    with pytest.raises(ConfigError, match="unknown parameter"):
        build_head("finetune", {"learning_rate": 1e-4})  # a trained head's class checks too
    # the search's choice of input standardising is not the head's: it passes
    assert build_head("logreg", {"C": 3.0, "normalize": "none"}).C == 3.0


def test_ebm_is_offered_only_with_linguistic_and_mlp_not_with_sparse() -> None:
    assert "ebm" not in compatible_heads("fake", list(HEADS))
    assert "ebm" in compatible_heads("linguistic", list(HEADS))
    assert "mlp" not in compatible_heads("tfidf", list(HEADS))


def test_untrusted_types_are_refused(tmp_path: Path) -> None:
    import skops.io as sio

    from textops.errors import TextopsError
    from textops.model._skops import skops_load as _skops_load

    sio.dump({"x": __import__("fractions").Fraction(1, 3)}, tmp_path / "head.skops")
    with pytest.raises(TextopsError, match="does not trust"):
        _skops_load(tmp_path / "head.skops")


def test_unknown_head_lists_the_table() -> None:
    with pytest.raises(UnknownPluginError, match="logreg"):
        build_head("xgboost", {})


def test_scoring_build_skips_calibration_but_deployed_head_has_probabilities() -> None:
    X = make_embedder("fake").fit(TEXTS).transform(TEXTS)
    scoring = build_head("linear_svm", {}, probability=False).fit(X, LABELS)
    deployed = build_head("linear_svm", {}).fit(X, LABELS)
    assert not hasattr(scoring, "predict_proba")
    assert deployed.predict_proba(X).shape == (len(TEXTS), 2)
    # the same SVM underneath, same decisions, same labels
    np.testing.assert_allclose(deployed.decision_function(X), scoring.decision_function(X))
    np.testing.assert_array_equal(deployed.predict(X), scoring.predict(X))


def test_normalize_param_standardises_inputs_except_for_trees() -> None:
    assert hasattr(build_head("logreg", {"normalize": "standard"}), "steps")
    assert not hasattr(build_head("logreg", {"normalize": "none"}), "steps")
    # an embedder that needs scaling gets it unless the trial chose otherwise
    assert hasattr(build_head("logreg", {}, scale=True), "steps")
    assert not hasattr(build_head("lightgbm", {"normalize": "standard"}), "steps")
    with pytest.raises(UnknownPluginError, match="normalisation"):
        build_head("logreg", {"normalize": "whiten"})


def test_every_head_loads_in_a_fresh_process_without_the_estimator_walk(tmp_path: Path) -> None:
    """skops is imported without ``all_estimators()`` (which imports all of scikit-learn, and
    torch, on every load): its default list stays empty, each saved scikit-learn estimator is
    checked on its own, and every head in the table still loads to the same probabilities."""
    import json
    import subprocess
    import sys

    folders = {}
    for key in [k for k, spec in HEADS.items() if not spec.text_input]:
        ek = _embedder_for(key)
        emb = make_embedder(ek).fit(TEXTS)
        head = build_head(key, {}, scale=emb.needs_scaling).fit(emb.transform(TEXTS), LABELS)
        clf = TextClassifier(embedder_key=ek, embedder=emb, head_key=key, head=head,
                             head_params={}, normalization=NormalizationOptions())  # fmt: skip
        folders[key] = (str(clf.save(tmp_path / key)), clf.predict_proba(TEXTS[:6]).tolist())
    code = (
        "import json, sys\n"
        "from textops.model import TextClassifier\n"
        f"folders = json.loads({json.dumps(json.dumps(folders))})\n"
        "out = {k: TextClassifier.load(f).predict_proba(sys.argv[1:]).tolist()"
        " for k, (f, _) in folders.items()}\n"
        "import skops.io._trusted_types as t\n"
        "print(json.dumps({'proba': out, 'defaults': t.SKLEARN_ESTIMATOR_TYPE_NAMES,"
        " 'torch': 'torch' in sys.modules}))\n"
    )
    res = subprocess.run([sys.executable, "-c", code, *TEXTS[:6]], capture_output=True,
                         text=True, timeout=300, check=False)  # fmt: skip
    assert res.returncode == 0, res.stderr[-3000:]
    out = json.loads(res.stdout.strip().splitlines()[-1])
    assert out["defaults"] == []  # the walk did not run
    for key, (_, proba) in folders.items():
        np.testing.assert_allclose(out["proba"][key], proba, rtol=1e-6, err_msg=key)


@pytest.mark.parametrize(
    ("name", "trusted"),
    [
        ("sklearn.linear_model._logistic.LogisticRegression", True),
        ("sklearn.pipeline.Pipeline", True),
        ("sklearn.linear_model.LogisticRegression", False),  # a re-export, not where it lives
        ("sklearn.utils._bunch.Bunch", False),  # not an estimator
        ("sklearn.base.BaseEstimator", False),  # the base class, which all_estimators leaves out
        ("sklearn.linear_model._logistic._logistic_regression_path", False),
        ("sklearn.os.system", False),
        ("builtins.eval", False),
        ("sklearn.utils.tests.test_x.Est", False),
    ],
)
def test_a_saved_name_is_a_scikit_learn_estimator_only_as_all_estimators_says(
    name: str, trusted: bool
) -> None:
    from textops.model._skops import _sklearn_estimator

    assert _sklearn_estimator(name) is trusted


def test_a_model_predicts_without_rechecking_what_it_fitted_and_leaves_the_checks_on() -> None:
    import sklearn
    from sklearn.linear_model import LogisticRegression

    seen: list[bool] = []

    class Recording(LogisticRegression):
        def predict_proba(self, X: object) -> np.ndarray:
            seen.append(sklearn.get_config()["skip_parameter_validation"])
            return super().predict_proba(X)

    emb = make_embedder("tfidf").fit(TEXTS)
    head = Recording().fit(emb.transform(TEXTS), LABELS)
    clf = TextClassifier(embedder_key="tfidf", embedder=emb, head_key="logreg", head=head,
                         head_params={}, normalization=NormalizationOptions())  # fmt: skip
    clf.predict_proba(TEXTS[:3])
    clf.predict_with_embeddings(TEXTS[:3])
    assert seen == [True, True]
    assert sklearn.get_config()["skip_parameter_validation"] is False  # restored after
