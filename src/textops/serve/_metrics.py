"""Prometheus metrics of one app (its own registry, so several apps can live in one process)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Generic, TypeVar

if TYPE_CHECKING:
    from prometheus_client.metrics import MetricWrapperBase

    from textops.serve._model import ServedModel

__all__ = ["Children", "ServiceMetrics"]

_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
_BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512)


M = TypeVar("M", bound="MetricWrapperBase")


class Children(Generic[M]):
    """The children of a labelled metric, each looked up once: ``labels()`` takes a lock and
    builds a key on every call, which the request path would pay per request."""

    def __init__(self, metric: M) -> None:
        self.metric = metric
        self._by_values: dict[tuple[str, ...], M] = {}

    def __call__(self, *values: str) -> M:
        child = self._by_values.get(values)
        if child is None:
            child = self._by_values[values] = self.metric.labels(*values)
        return child


class ServiceMetrics:
    def __init__(self) -> None:
        from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

        self.registry = CollectorRegistry()
        r = self.registry
        self.requests = Counter(
            "textops_http_requests",
            "HTTP requests by route and status",
            ["route", "method", "status"],
            registry=r,
        )
        self.latency = Histogram(
            "textops_http_request_seconds",
            "request latency by route",
            ["route"],
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.batch_size = Histogram(
            "textops_batch_texts", "texts per model call", buckets=_BATCH_BUCKETS, registry=r
        )
        self.batch_requests = Histogram(
            "textops_batch_requests",
            "requests merged into one model call",
            buckets=_BATCH_BUCKETS,
            registry=r,
        )
        self.model_seconds = Histogram(
            "textops_model_call_seconds",
            "seconds per model call",
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.predictions = Counter(
            "textops_predictions", "predictions by label", ["label"], registry=r
        )
        self._per_label = Children(self.predictions)
        self.truncated = Counter("textops_texts_truncated", "texts cut to --max-chars", registry=r)
        self.model_info = Gauge(
            "textops_model_info",
            "the model version answering (value 1)",
            ["name", "version", "alias", "backend"],
            registry=r,
        )
        self.model_loads = Counter("textops_model_loads", "model versions loaded", registry=r)
        self.load_failures = Counter(
            "textops_model_load_failures",
            "model loads that failed (the old model kept serving)",
            registry=r,
        )
        self.ready = Gauge("textops_model_ready", "1 when a model is loaded", registry=r)
        self.log_buffered = Gauge(
            "textops_monitor_buffered_records",
            "prediction-log records waiting in memory",
            registry=r,
        )
        self.log_spilled = Gauge(
            "textops_monitor_spilled_records",
            "records waiting in spill files (database down)",
            registry=r,
        )
        self.log_written = Counter(
            "textops_monitor_written_records",
            "records written to the monitor database",
            registry=r,
        )
        self.log_errors = Counter(
            "textops_monitor_write_errors", "failed writes to the monitor database", registry=r
        )
        self.log_dropped = Counter(
            "textops_monitor_dropped",
            "prediction-log records dropped because nothing could store them (a full disk)",
            registry=r,
        )
        self.feedback_refused = Counter(
            "textops_feedback_unstored",
            "feedback calls answered 503: neither the database nor the disk could keep them",
            registry=r,
        )
        self.shed = Counter(
            "textops_shed_requests",
            "requests answered 503 at once because the model queue was full (--max-queue)",
            registry=r,
        )
        self.log_db_up = Gauge(
            "textops_monitor_db_up", "1 when the monitor database takes writes", registry=r
        )
        self.feedback = Counter("textops_feedback", "feedback labels received", registry=r)
        self.live_accuracy = Gauge(
            "textops_live_accuracy",
            "accuracy on feedback, by served model and window",
            ["model", "window"],
            registry=r,
        )
        self.live_macro_f1 = Gauge(
            "textops_live_macro_f1",
            "macro-F1 on feedback, by served model and window",
            ["model", "window"],
            registry=r,
        )
        self.drift_score = Gauge(
            "textops_drift_score",
            "drift score by served model and test (PSI, KS statistic, domain-classifier AUC)",
            ["model", "test"],
            registry=r,
        )
        self.drift_detected = Gauge(
            "textops_drift_detected",
            "1 when a test is over its threshold, by served model",
            ["model", "test"],
            registry=r,
        )
        self.drift_alerts = Counter("textops_drift_alerts", "drift alerts raised", registry=r)
        self.explain_seconds = Histogram(
            "textops_explain_seconds_per_text",
            "seconds to explain one text, by method",
            ["method"],
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.explained = Counter(
            "textops_explained_texts", "texts explained, by method", ["method"], registry=r
        )
        self.generated_tokens = Counter(
            "textops_generated_tokens", "new tokens a served generator produced", registry=r
        )
        self.generate_seconds = Histogram(
            "textops_generate_seconds",
            "seconds per /v1/generate request",
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.queue = Gauge(
            "textops_batch_queue_requests", "requests waiting for a batch", registry=r
        )
        self.model_texts = Counter(
            "textops_model_texts", "texts predicted, by served model", ["model"], registry=r
        )
        self._info: dict[str, tuple[str, str, str, str]] = {}
        # process telemetry: CPU seconds, resident memory, open files (process_* series), and
        # GPU memory when torch has CUDA
        from prometheus_client import ProcessCollector

        ProcessCollector(registry=r)
        r.register(_GpuCollector())

    def set_model(self, model: ServedModel) -> None:
        """The loaded version of ``model``'s name (the series of its earlier version goes;
        other served models' stay)."""
        old = self._info.pop(model.name or "", None)
        if old is not None:
            self.model_info.remove(*old)
        labels = (model.name or "", model.version or "", model.alias or "", model.backend)
        self.model_info.labels(*labels).set(1)
        self._info[model.name or ""] = labels
        self.ready.set(1)

    def count_predictions(self, labels: list[str]) -> None:
        """One increment per predicted label."""
        for label in labels:
            self._per_label(label).inc()

    def render(self) -> tuple[bytes, str]:
        from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

        return generate_latest(self.registry), CONTENT_TYPE_LATEST


class _GpuCollector:
    """``textops_gpu_memory_bytes{device}``: memory torch holds on each CUDA device; nothing
    on a machine without CUDA (torch is not imported for it)."""

    def describe(self) -> list[Any]:
        return []

    def collect(self) -> Any:
        import sys

        torch = sys.modules.get("torch")
        if torch is None or not torch.cuda.is_available():
            return
        from prometheus_client.core import GaugeMetricFamily

        family = GaugeMetricFamily(
            "textops_gpu_memory_bytes", "GPU memory held by torch", labels=["device"]
        )
        for i in range(torch.cuda.device_count()):
            family.add_metric([str(i)], float(torch.cuda.memory_allocated(i)))
        yield family
