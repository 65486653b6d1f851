"""The naive baseline of bench/serve.py: a FastAPI endpoint that encodes each request alone
(what people write first). Started by the benchmark under uvicorn; not part of textops."""

from __future__ import annotations

import os
from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel

from textops.track import load_classifier

clf, _ = load_classifier(os.environ["NAIVE_MODEL_URI"], os.environ["NAIVE_TRACKING_URI"])
clf.predict_proba(["warm-up"])
app = FastAPI()


class Req(BaseModel):
    text: str


@app.get("/ping")
def ping() -> dict[str, str]:
    return {"status": "ok"}


@app.post("/predict")
def predict(req: Req) -> dict[str, Any]:
    p = clf.predict_proba([req.text])[0]
    return {
        "label": clf.labels[int(p.argmax())],
        "probabilities": {lab: float(v) for lab, v in zip(clf.labels, p, strict=True)},
    }
