"""Trained heads (finetune, setfit, bilstm) against their baselines, each measured in this run.

Parts (``--parts``, all by default):
  full:       per built-in dataset, the whole train split: frozen MiniLM + LogisticRegression
              (B), `textops finetune` with the head's defaults (F), the current search without
              trained heads given F's wall time (S), and the search with `finetune` among its
              heads given the same time (SF: which head it picks, and its CV score); test
              macro-F1 and wall time of each.
  fewshot:    8 and 64 labelled texts per class sampled (seed 0) from the train split: the
              `setfit` library's SetFitModel with its defaults (L), textops' `setfit` head
              alone, and the whole textops search (its default heads) given L's wall time;
              every model scored on the dataset's full test split.
  throughput: training samples/s on 512 TREC texts, one epoch: textops' loop for each trained
              head, and Hugging Face `Trainer` on the same MiniLM classifier (batch 16, max
              length 128) as the baseline.
  serving:    a MiniLM fine-tuned on TREC (one epoch) served by `textops serve` at concurrency
              32 with torch and with int8 ONNX (bench/serve.py), the export's label agreement.
Usage: python bench/finetune.py [--parts full,fewshot,throughput,serving]
       [--datasets trec,sms_spam,bbc_news] [--few-datasets sms_spam,trec] [--shots 8,64]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import warnings
from collections import defaultdict
from pathlib import Path
from typing import Any

from textops._json import to_json

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
warnings.filterwarnings("ignore")
sys.path.insert(0, str(Path(__file__).parent))

from search import baseline_minilm, textops_search  # noqa: E402


def _f1(y: list[str], pred: list[str]) -> float:
    from sklearn.metrics import f1_score

    return round(float(f1_score(y, pred, average="macro")), 4)


def _finetune(home: Path, dataset: str, kind: str = "finetune", **options: Any) -> dict[str, Any]:
    """`textops finetune DATASET --kind KIND`: a one-trial search with the head's defaults."""
    from textops.cli._finetune import _head_defaults
    from textops.search import SearchConfig, run_search
    from textops.track import MlflowTracker

    cfg = SearchConfig(
        dataset=dataset,
        embedders=("minilm",),
        heads=(kind,),
        trials=1,
        head_options={**_head_defaults(kind), **options},
        study=f"bench-{kind}",
    )
    start = time.perf_counter()
    r = run_search(cfg, home=home, tracker=MlflowTracker(home=home), show_progress=False)
    return {
        "macro_f1": round(r.test.macro_f1, 4),
        "seconds": round(time.perf_counter() - start, 1),
        "epochs": r.best.params.get("epochs"),
        "model_uri": r.model_uri,
        "estimate": to_json(r)["test"].get("estimate", "test"),
    }


def full(dataset: str) -> dict[str, Any]:
    from textops.data import builtin_source, ingest

    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        ds = ingest([builtin_source(dataset)], dataset, home=home)
        b = baseline_minilm(ds)
        print(f"  {dataset} B frozen MiniLM + LR: {b}", flush=True)
        f = _finetune(home, dataset)
        print(f"  {dataset} F textops finetune: {f}", flush=True)
        s = textops_search(home, dataset, timeout=f["seconds"], trials=100_000, study="s")
        print(f"  {dataset} S search without trained heads: {s}", flush=True)
        heads = ("logreg", "linear_svm", "knn", "mlp", "lightgbm", "finetune")
        sf = textops_search(
            home, dataset, timeout=f["seconds"], trials=100_000, study="sf", heads=heads
        )
        print(f"  {dataset} SF search with finetune: {sf}", flush=True)
    return {
        "B_minilm_lr": b,
        "F_finetune": f,
        "S_search": s,
        "SF_search_with_finetune": sf,
        "finetune_minus_minilm_lr_points": round(100 * (f["macro_f1"] - b["macro_f1"]), 2),
        "finetune_time_vs_minilm_lr": round(f["seconds"] / b["seconds"], 1),
    }


def _sample(texts: list[str], labels: list[str], k: int, seed: int = 0) -> list[tuple[str, str]]:
    by: dict[str, list[str]] = defaultdict(list)
    for t, y in zip(texts, labels, strict=True):
        by[y].append(t)
    rng = random.Random(seed)
    return [(t, y) for y in sorted(by) for t in rng.sample(by[y], min(k, len(by[y])))]


def setfit_library(rows: list[tuple[str, str]], test: tuple[list[str], list[str]]) -> Any:
    from datasets import Dataset
    from setfit import SetFitModel, Trainer, TrainingArguments

    from textops.embed import resolve_model

    start = time.perf_counter()
    model = SetFitModel.from_pretrained(str(resolve_model("minilm")), local_files_only=True)
    data = Dataset.from_dict({"text": [t for t, _ in rows], "label": [y for _, y in rows]})
    with tempfile.TemporaryDirectory() as out:  # its checkpoints, not in the working tree
        args = TrainingArguments(output_dir=out, report_to="none")
        Trainer(model=model, args=args, train_dataset=data).train()
    seconds = time.perf_counter() - start
    pred = [str(p) for p in model.predict(test[0])]
    return {"macro_f1": _f1(test[1], pred), "seconds": round(seconds, 1)}


def _score_uri(home: Path, uri: str, test: tuple[list[str], list[str]]) -> float:
    from textops.track import default_tracking_uri, load_classifier

    clf, _ = load_classifier(uri, default_tracking_uri(home))
    return _f1(test[1], clf.predict(test[0]))


def fewshot(dataset: str, k: int) -> dict[str, Any]:
    from textops.data import MemorySource, builtin_source, ingest

    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        full_ds = ingest([builtin_source(dataset)], dataset, home=home)
        test = (full_ds.texts("test"), full_ds.labels("test"))
        rows = _sample(full_ds.texts("train"), full_ds.labels("train"), k)
        name = f"{dataset}_{k}shot"
        ingest([MemorySource(name, rows)], name, home=home)
        lib = setfit_library(rows, test)
        print(f"  {name} setfit library: {lib}", flush=True)
        own = _finetune(home, name, kind="setfit")
        own["macro_f1_test"] = _score_uri(home, own.pop("model_uri"), test)
        print(f"  {name} textops setfit head: {own}", flush=True)
        # the search as a user runs it: its default heads for few labels (logreg, setfit)
        s = textops_search(home, name, timeout=lib["seconds"], trials=100_000)
        s["macro_f1_test"] = _score_uri(home, s.pop("model_uri"), test)
        print(f"  {name} textops search: {s}", flush=True)
    return {
        "rows": len(rows),
        "setfit_library": lib,
        "textops_setfit": own,
        "textops_search": s,
        "search_minus_library_points": round(100 * (s["macro_f1_test"] - lib["macro_f1"]), 2),
        "search_time_vs_library": round(s["seconds"] / lib["seconds"], 2),
    }


def throughput() -> dict[str, Any]:
    from textops.data import builtin_source, ingest
    from textops.model import HEADS

    with tempfile.TemporaryDirectory() as tmp:
        ds = ingest([builtin_source("trec")], "trec", home=Path(tmp))
        texts, labels = ds.texts("train")[:512], ds.labels("train")[:512]
    out: dict[str, Any] = {}
    for kind, params in (
        ("finetune", {"epochs": 1, "batch_size": 16, "max_length": 128}),
        ("setfit", {"iterations": 2, "max_pairs": 1024, "batch_size": 16, "pairs": "sampled"}),
        ("bilstm", {"epochs": 1, "batch_size": 16}),
    ):
        est = HEADS[kind].factory(seed=0, **params).set_params(device="cpu")
        start = time.perf_counter()
        est.fit(texts, labels)
        seconds = sum(r.seconds for r in est.history_)
        unit = 1024 if kind == "setfit" else len(texts)  # setfit trains on pairs
        out[f"{kind}_samples_per_s"] = round(unit / seconds, 1)
        out[f"{kind}_fit_seconds"] = round(time.perf_counter() - start, 1)
        print(f"  {kind}: {out[f'{kind}_samples_per_s']} samples/s", flush=True)
    out["hf_trainer_samples_per_s"] = hf_trainer(texts, labels)
    out["finetune_vs_hf_trainer"] = round(
        out["finetune_samples_per_s"] / out["hf_trainer_samples_per_s"], 2
    )
    print(f"  HF Trainer: {out['hf_trainer_samples_per_s']} samples/s", flush=True)
    return out


def hf_trainer(texts: list[str], labels: list[str]) -> float:
    """The same MiniLM classifier by Hugging Face Trainer: one epoch, batch 16, max length 128,
    dynamic padding (DataCollatorWithPadding), timed over the training loop."""
    import numpy as np
    import torch
    from transformers import (
        AutoModelForSequenceClassification,
        AutoTokenizer,
        DataCollatorWithPadding,
        Trainer,
        TrainingArguments,
    )

    from textops.embed import resolve_model

    path = str(resolve_model("minilm"))
    names = sorted(set(labels))
    tok = AutoTokenizer.from_pretrained(path)
    model = AutoModelForSequenceClassification.from_pretrained(path, num_labels=len(names))
    enc = tok(texts, truncation=True, max_length=128)
    y = np.searchsorted(names, labels)

    class Rows(torch.utils.data.Dataset):  # type: ignore[type-arg]
        def __len__(self) -> int:
            return len(texts)

        def __getitem__(self, i: int) -> dict[str, Any]:
            return {"input_ids": enc["input_ids"][i], "attention_mask": enc["attention_mask"][i],
                    "labels": int(y[i])}  # fmt: skip

    with tempfile.TemporaryDirectory() as out:
        args = TrainingArguments(
            output_dir=out,
            per_device_train_batch_size=16,
            num_train_epochs=1,
            learning_rate=5e-5,
            warmup_steps=3,  # a tenth of the 32 steps, as textops' warmup=0.1
            report_to=[],
            save_strategy="no",
            logging_strategy="no",
            disable_tqdm=True,
            use_cpu=True,
        )
        trainer = Trainer(
            model=model, args=args, train_dataset=Rows(), data_collator=DataCollatorWithPadding(tok)
        )
        start = time.perf_counter()
        trainer.train()
        return round(len(texts) / (time.perf_counter() - start), 1)


def serving() -> dict[str, Any]:
    from textops.data import builtin_source, ingest

    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        ingest([builtin_source("trec")], "trec", home=home)
        f = _finetune(home, "trec", epochs=1)
        print(f"  fine-tuned MiniLM on TREC (1 epoch): {f}", flush=True)
        cmd = [
            sys.executable, str(Path(__file__).parent / "serve.py"), "--model-uri",
            f["model_uri"], "--home", str(home), "--skip", "naive,mlflow,path",
            "--levels", "32", "--rounds", "6",
        ]  # fmt: skip
        run = subprocess.run(cmd, capture_output=True, text=True, check=True)
        print("\n".join("    " + line for line in run.stdout.splitlines()[:-1]), flush=True)
        report = json.loads(run.stdout.splitlines()[-1])
    served = report["interleaved_onnx"]["served_c32_requests_per_s"]
    torch_served = report["interleaved_torch"]["served_c32_requests_per_s"]
    parity = report.get("onnx_report", {})
    return {
        "finetune_test_macro_f1": f["macro_f1"],
        "onnx_variant": report.get("onnx_variant"),
        "onnx_label_agreement": parity.get("label_agreement"),
        "onnx_macro_f1_loss_points": parity.get("macro_f1_loss_points"),
        "torch_c32_requests_per_s": torch_served,
        "onnx_c32_requests_per_s": served,
        "onnx_vs_torch_c32": round(served / torch_served, 2),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--parts", default="full,fewshot,throughput,serving")
    ap.add_argument("--datasets", default="trec,sms_spam,bbc_news")
    ap.add_argument("--few-datasets", default="sms_spam,trec")
    ap.add_argument("--shots", default="8,64")
    args = ap.parse_args()
    parts = args.parts.split(",")
    out: dict[str, Any] = {"cpus": os.cpu_count()}
    if "throughput" in parts:
        print("training throughput:", flush=True)
        out["throughput"] = throughput()
    if "serving" in parts:
        print("serving a fine-tuned MiniLM:", flush=True)
        out["serving"] = serving()
    if "fewshot" in parts:
        print("few-shot:", flush=True)
        for d in args.few_datasets.split(","):
            for k in (int(x) for x in args.shots.split(",")):
                out[f"fewshot_{d}_{k}"] = fewshot(d, k)
    if "full" in parts:
        print("full train split:", flush=True)
        for d in args.datasets.split(","):
            out[f"full_{d}"] = full(d)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
