"""Where temperature scaling lived in textops 0.1.0: skops files of models saved then name this
module. New code imports :mod:`textops.model._calibration`."""

from textops.model._calibration import TemperatureScaledClassifier

__all__ = ["TemperatureScaledClassifier"]
