"""Optional OpenTelemetry tracing, off unless configured: API request -> workflow start or update -> the
workflow run -> its activities, one trace (temporalio.contrib.opentelemetry carries it through Temporal)."""

from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    ConsoleSpanExporter,
    SimpleSpanProcessor,
    SpanExporter,
)
from temporalio.client import Client
from temporalio.contrib.opentelemetry import TracingInterceptor

from erp.settings import Settings

# The process's provider once tracing is on; None (the default) means no span, no interceptor, no middleware.
_provider: TracerProvider | None = None


def exporters_for(settings: Settings) -> list[SpanExporter]:
    """The exporters the settings ask for: OTLP/HTTP to a collector and/or spans printed to stdout."""
    exporters: list[SpanExporter] = []
    if settings.otel_endpoint:
        # Imported only when asked for: a process without tracing never loads the exporter.
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        exporters.append(OTLPSpanExporter(endpoint=settings.otel_endpoint))
    if settings.otel_console:
        exporters.append(ConsoleSpanExporter())
    return exporters


def start_tracing(
    settings: Settings, service_name: str, *, exporter: SpanExporter | None = None
) -> TracerProvider | None:
    """Turn tracing on for this process when configured (or given an exporter); None when it stays off."""
    global _provider
    if _provider is not None:
        return _provider
    batched = exporters_for(settings)
    if not batched and exporter is None:
        return None
    provider = TracerProvider(resource=Resource.create({"service.name": service_name}))
    for each in batched:
        provider.add_span_processor(BatchSpanProcessor(each))
    if exporter is not None:
        # A given exporter (tests) sees each span as it ends.
        provider.add_span_processor(SimpleSpanProcessor(exporter))
    _provider = provider
    return provider


def stop_tracing() -> None:
    """Flush what is buffered and turn tracing off again."""
    global _provider
    if _provider is not None:
        _provider.shutdown()
    _provider = None


def tracing_interceptors() -> list[TracingInterceptor]:
    """The Temporal client's interceptors: a TracingInterceptor while tracing is on, else none."""
    if _provider is None:
        return []
    return [TracingInterceptor(_provider.get_tracer("temporalio"))]


def worker_tracing_interceptors(client: Client) -> list[TracingInterceptor]:
    """The worker's: none when its client already traces (a worker inherits its client's interceptors)."""
    if any(isinstance(i, TracingInterceptor) for i in client.config()["interceptors"]):
        return []
    return tracing_interceptors()
