"""Spanlens bootstrap for Python programs run with tracing (standard library only).

Spanlens puts this directory first on PYTHONPATH, so Python imports this file at startup as
`sitecustomize`. It then:

1. runs the sitecustomize it shadows, if any (a virtualenv's, a distribution's), so nothing is lost;
2. when the OpenTelemetry SDK is importable: lets OpenTelemetry's auto-instrumentation configure
   itself when it is installed (what `opentelemetry-instrument` does; running that command would put
   its own sitecustomize ahead of this one), otherwise sets up an OTLP exporter and the OpenAI
   instrumentation when no tracer provider exists, and in both cases adds a span processor that
   records, at span start, the first stack frame in the user's code as `code.file.path`,
   `code.line.number` and `code.function.name`;
3. when the SDK is missing: prints once what to install and lets the program run untraced.

Nothing here may stop the user's program: every step swallows its own errors.
"""

import os
import sys

_HERE = os.path.dirname(os.path.abspath(__file__))
_INSTALL = "opentelemetry-sdk opentelemetry-exporter-otlp-proto-http opentelemetry-instrumentation-openai-v2"


def _same_dir(a, b):
    try:
        return os.path.normcase(os.path.abspath(a or os.curdir)) == os.path.normcase(os.path.abspath(b))
    except (TypeError, ValueError):
        return False


def _chain_shadowed_sitecustomize():
    """Runs the next `sitecustomize` on sys.path, which this file hides by coming first."""
    import importlib.machinery
    import importlib.util

    rest = [p for p in sys.path if not _same_dir(p, _HERE)]
    spec = importlib.machinery.PathFinder.find_spec("sitecustomize", rest)
    if spec is None or spec.loader is None:
        return
    module = importlib.util.module_from_spec(spec)
    sys.modules["_spanlens_chained_sitecustomize"] = module
    spec.loader.exec_module(module)


def _library_roots():
    """Directories whose frames are never the user's code: the standard library and installed packages."""
    import sysconfig

    roots = set()
    for key in ("stdlib", "platstdlib"):
        try:
            path = sysconfig.get_paths().get(key)
        except Exception:  # noqa: BLE001 - an odd installation must not stop the program
            path = None
        if path:
            roots.add(os.path.normcase(os.path.abspath(path)) + os.sep)
    roots.add(os.path.normcase(_HERE) + os.sep)
    return tuple(roots)


def user_frame(frame, roots):
    """The first frame from `frame` outwards that is in the user's code, or None."""
    while frame is not None:
        filename = frame.f_code.co_filename
        if filename and not filename.startswith("<"):
            normal = os.path.normcase(os.path.abspath(filename))
            parts = normal.replace("\\", "/")
            if "/site-packages/" not in parts and "/dist-packages/" not in parts and not normal.startswith(roots):
                return frame
        frame = frame.f_back
    return None


def _code_processor_class():
    from opentelemetry.sdk.trace import SpanProcessor

    roots = _library_roots()

    class CodeLocationProcessor(SpanProcessor):
        """Adds the user's code location to each span as it starts, unless the span has one."""

        def on_start(self, span, parent_context=None):
            try:
                attributes = span.attributes or {}
                if "code.file.path" in attributes or "code.filepath" in attributes:
                    return
                frame = user_frame(sys._getframe(1), roots)
                if frame is None:
                    return
                span.set_attribute("code.file.path", os.path.abspath(frame.f_code.co_filename))
                span.set_attribute("code.line.number", frame.f_lineno)
                span.set_attribute("code.function.name", frame.f_code.co_name)
            except Exception:  # noqa: BLE001 - tracing must never break the traced program
                pass

        def on_end(self, span):
            pass

        def shutdown(self):
            pass

        def force_flush(self, timeout_millis=30000):
            return True

    return CodeLocationProcessor


def _instrument_openai():
    try:
        from opentelemetry.instrumentation.openai_v2 import OpenAIInstrumentor
    except ImportError:
        return
    OpenAIInstrumentor().instrument()


def _own_provider():
    """An SDK provider exporting over OTLP/HTTP to the endpoint in the environment, or None."""
    try:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor
    except ImportError:
        return None
    provider = TracerProvider(resource=Resource.create())
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    return provider


def _setup_tracing():
    try:
        from opentelemetry import trace
        import opentelemetry.sdk.trace  # noqa: F401 - only to know that the SDK is there
    except ImportError:
        sys.stderr.write(
            "Spanlens: the OpenTelemetry SDK is not installed for %s, so this program runs untraced.\n"
            "Spanlens: to trace it, run: %s -m pip install %s\n" % (sys.executable, sys.executable, _INSTALL)
        )
        sys.stderr.flush()
        return
    processor = _code_processor_class()()
    auto = False
    try:
        from opentelemetry.instrumentation.auto_instrumentation import initialize

        initialize()
        auto = True
    except ImportError:
        pass
    provider = trace.get_tracer_provider()
    if not hasattr(provider, "add_span_processor") and not auto:
        own = _own_provider()
        if own is not None:
            trace.set_tracer_provider(own)
            provider = trace.get_tracer_provider()
            _instrument_openai()
    if hasattr(provider, "add_span_processor"):
        provider.add_span_processor(processor)
    else:
        _add_to_later_provider(trace, processor)


def _add_to_later_provider(trace, processor):
    """The app sets its own provider later: give it the code processor when it does."""
    original = trace.set_tracer_provider

    def set_tracer_provider(tracer_provider):
        if hasattr(tracer_provider, "add_span_processor"):
            tracer_provider.add_span_processor(processor)
        original(tracer_provider)

    trace.set_tracer_provider = set_tracer_provider


def _main():
    try:
        _chain_shadowed_sitecustomize()
    except Exception as error:  # noqa: BLE001
        sys.stderr.write("Spanlens: the program's own sitecustomize failed: %r\n" % (error,))
    if os.environ.get("SPANLENS_PYTHON_BOOTSTRAP") == "off":
        return
    try:
        _setup_tracing()
    except Exception as error:  # noqa: BLE001
        sys.stderr.write("Spanlens: tracing could not be set up (%r); the program runs untraced.\n" % (error,))


_main()
