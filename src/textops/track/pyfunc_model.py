"""MLflow "model from code" entry point for a textops classifier (no pickled Python object).

MLflow copies this file into every saved model and runs it at load time; the classifier itself
is loaded from the model's ``classifier`` artifact (skops head + JSON), never from a pickle.
Input: a DataFrame with a ``text`` column (or a list of strings). Output: a DataFrame with
``label`` and one ``proba_<label>`` column per class.
"""

from __future__ import annotations

import mlflow
import pandas as pd
from mlflow.pyfunc.model import PythonModel


class TextopsPyfunc(PythonModel):
    def load_context(self, context):  # type: ignore[no-untyped-def]
        from textops.model import TextClassifier

        self.classifier = TextClassifier.load(context.artifacts["classifier"])

    # a DataFrame type hint: MLflow derives no schema from it (the saved signature is the
    # schema) and does not warn that predict lacks type hints
    def predict(self, context, model_input: pd.DataFrame, params=None):  # type: ignore[no-untyped-def]
        if isinstance(model_input, pd.DataFrame):
            column = "text" if "text" in model_input.columns else model_input.columns[0]
            texts = [str(t) for t in model_input[column].tolist()]
        elif isinstance(model_input, str):
            texts = [model_input]
        else:
            texts = [str(t) for t in model_input]
        proba = self.classifier.predict_proba(texts)
        labels = self.classifier.labels
        out = {"label": [labels[i] for i in proba.argmax(axis=1)]}
        for j, lab in enumerate(labels):
            out[f"proba_{lab}"] = proba[:, j].tolist()
        return pd.DataFrame(out)


mlflow.models.set_model(TextopsPyfunc())
