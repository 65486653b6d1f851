"""Every error textops raises on purpose.

The tree (each also subclasses the builtin a caller would expect)::

    TextopsError
    ├── ConfigError(ValueError)            a bad config file or ``key=value`` override
    ├── DataFormatError(ValueError)        a source file cannot be parsed at all
    │   ├── RejectRateError                more rows rejected than --max-reject-rate (exit 1)
    │   └── DataCheckError                 data that fails a pipeline's validate stage (exit 1)
    ├── DatasetNotFoundError(LookupError)  no dataset (or version) of that name in the home
    ├── MissingDependencyError(ImportError) an optional package (a dataset, a model) is not installed
    ├── ModelNotFoundError(LookupError)    an embedding model is neither packaged nor a local folder
    ├── ModelLoadError(RuntimeError)       a saved model folder is damaged or incomplete
    ├── RegistryError(RuntimeError)        the registry is gone, or cannot be read right now
    ├── UnknownPluginError(KeyError)       a key that is not in a plug-in table (EMBEDDERS, ...)
    ├── CacheError(RuntimeError)           the embedding cache cannot be used as asked
    ├── AuthError(PermissionError)         a request without the right API key (HTTP 401)
    ├── ForbiddenError(PermissionError)    an endpoint switched off in this configuration (403)
    ├── PayloadTooLargeError(ValueError)   a request over a configured limit (413)
    ├── UnsupportedMediaTypeError(ValueError) a request body that is not JSON (415)
    ├── NotReadyError(RuntimeError)        the service has no model loaded yet (503)
    ├── QualityGateError(RuntimeError)     an export fails its parity or accuracy gate
    ├── UnknownPredictionError(LookupError) feedback for a prediction id never served (404)
    ├── InvalidLabelError(ValueError)       a label the model does not know (422)
    ├── InvalidFeedbackError(ValueError)    feedback on a prediction another model made (422)
    ├── WrongModelKindError(ValueError)     predict on a generator, generate on a classifier (409)
    └── MonitorUnavailableError(ConnectionError) the monitor database cannot answer now (503)

Messages say what went wrong *and what to do next*; the CLI prints them as they are and exits
with the error's ``exit_code``: 2 (the command could not run) unless the error is a failed check (1).
"""

from __future__ import annotations

__all__ = [
    "AuthError",
    "CacheError",
    "ConfigError",
    "DataCheckError",
    "DataFormatError",
    "DatasetNotFoundError",
    "ForbiddenError",
    "InvalidFeedbackError",
    "InvalidLabelError",
    "MissingDependencyError",
    "ModelLoadError",
    "ModelNotFoundError",
    "MonitorUnavailableError",
    "NotReadyError",
    "PayloadTooLargeError",
    "QualityGateError",
    "RegistryError",
    "RejectRateError",
    "TextopsError",
    "UnknownPluginError",
    "UnknownPredictionError",
    "UnsupportedMediaTypeError",
    "WrongModelKindError",
]


class TextopsError(Exception):
    """Root of every error textops raises on purpose."""

    #: the CLI's exit code: 2 the command could not run, 1 it ran and a check failed
    exit_code = 2
    #: the request field an HTTP answer names in its ``detail`` (None: the request itself)
    field: str | None = None

    def __init__(self, *args: object, field: str | None = None) -> None:
        super().__init__(*args)
        if field is not None:
            self.field = field


class ConfigError(TextopsError, ValueError):
    """A config file or override is invalid."""


class DataFormatError(TextopsError, ValueError):
    """A source cannot be parsed at all (wrong format, missing column); nothing was written."""


class RejectRateError(DataFormatError):
    """An ingest rejected more rows than its ``max_reject_rate``; nothing was stored."""

    exit_code = 1


class DataCheckError(DataFormatError):
    """The dataset was stored but fails a check it must pass before training (too few rows of
    a label, one label only)."""

    exit_code = 1


class DatasetNotFoundError(TextopsError, LookupError):
    """No dataset or dataset version with that name exists in the textops home."""


class MissingDependencyError(TextopsError, ImportError):
    """A package that ships a dataset or model is not installed."""


class ModelNotFoundError(TextopsError, LookupError):
    """An embedding model is neither a packaged model nor a local folder (hubs are never reached)."""


class ModelLoadError(TextopsError, RuntimeError):
    """A saved model folder is damaged or incomplete (a truncated file, a part from another
    model, a missing description): it is refused whole rather than half loaded."""


class RegistryError(TextopsError, RuntimeError):
    """The model registry is not where the home says it is (moved or deleted), or cannot
    be read right now (an alias lookup that failed is this, never "no champion")."""


class UnknownPluginError(TextopsError, KeyError):
    """A key that is not in one of the plug-in tables."""

    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0]) if self.args else ""


class CacheError(TextopsError, RuntimeError):
    """The embedding cache cannot be used as asked."""


class AuthError(TextopsError, PermissionError):
    """A request without the right API key."""


class ForbiddenError(TextopsError, PermissionError):
    """An endpoint that is switched off in this configuration."""


class WrongModelKindError(TextopsError, ValueError):
    """A request for what the served model does not do (predict on a generator, generate
    with a classifier)."""


class PayloadTooLargeError(TextopsError, ValueError):
    """A request over a configured limit (texts, characters, body bytes)."""


class UnsupportedMediaTypeError(TextopsError, ValueError):
    """A request body in a content type the service does not read."""


class NotReadyError(TextopsError, RuntimeError):
    """The service has no model loaded yet."""


class QualityGateError(TextopsError, RuntimeError):
    """An export fails its parity or accuracy gate; ``report`` holds what was measured."""

    exit_code = 1

    def __init__(self, message: str, report: dict[str, object] | None = None) -> None:
        super().__init__(message)
        self.report = report or {}


class UnknownPredictionError(TextopsError, LookupError):
    """Feedback names a prediction id this service never logged."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class InvalidLabelError(TextopsError, ValueError):
    """A label the model does not know (in feedback, or asked to be explained)."""


class InvalidFeedbackError(TextopsError, ValueError):
    """Feedback that names a prediction another model made (several models in one service)."""


class MonitorUnavailableError(TextopsError, ConnectionError):
    """The monitor database cannot answer right now (writes are buffered meanwhile)."""
