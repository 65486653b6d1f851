"""Where the deployable classifier lived in textops 0.1.0: MLflow models saved then load it from
here (their entry point imports this module). New code imports :mod:`textops.model`."""

from textops.model import TextClassifier

__all__ = ["TextClassifier"]
