/**
 * Store spans to what the trace views draw: timeline rows for a whole trace (cheap: no message
 * content is read) and one span's detail (with content), and both for the exported HTML file.
 */
import type { AttrValue, Attributes, LogRecord, Span } from '../model.js';
import { durationMs, logsBySpan } from '../model.js';
import { normalizeSpan } from '../normalize/normalizeSpan.js';
import type { Price } from '../normalize/prices.js';
import { serviceOf } from '../store/rows.js';
import { buildTraceTree, flatten } from '../traceTree.js';
import { callSummary } from '../../shared/format.js';
import { parseFrame } from '../source/fromStack.js';
import type { ShownAttribute, SpanDetail, SpanException, TimelineSpan, TraceBundle, TraceView } from '../../shared/traceView.js';

export function traceView(traceId: string, spans: Span[], prices?: Record<string, Price>): TraceView {
  const tree = buildTraceTree(spans);
  const nodes = flatten(tree);
  const rows: TimelineSpan[] = nodes.map((node) => {
    const s = node.span;
    const n = normalizeSpan(s, [], { withContent: false, prices });
    const duration = node.endMs - node.startMs;
    return {
      id: s.spanId,
      parentId: s.parentSpanId && !node.missingParent && !node.cycleCut ? s.parentSpanId : null,
      name: s.name,
      service: serviceOf(s.resource),
      kind: n.kind,
      startMs: node.startMs,
      durationMs: duration,
      skewMs: node.skewMs,
      error: s.status.code === 'error',
      ttftMs: n.llm?.ttftMs ?? null,
      summary: n.llm ? callSummary(n.llm, duration) : callSummary(null, duration),
      missingParent: node.missingParent,
      cycleCut: node.cycleCut,
    };
  });
  const root = tree.roots.find((r) => !r.missingParent && !r.cycleCut) ?? tree.roots[0];
  return {
    traceId,
    name: root?.span.name ?? '',
    startTimeUnixNano: tree.startNs.toString(),
    durationMs: tree.durationMs,
    spans: rows,
    duplicates: tree.duplicates.length,
  };
}

export function spanDetail(span: Span, logs: LogRecord[], prices?: Record<string, Price>): SpanDetail {
  const n = normalizeSpan(span, logs, { prices });
  const dropped = { attributes: span.droppedAttributesCount, events: span.droppedEventsCount, links: span.droppedLinksCount };
  const detail: SpanDetail = {
    traceId: span.traceId,
    spanId: span.spanId,
    parentSpanId: span.parentSpanId || null,
    name: span.name,
    service: serviceOf(span.resource),
    kind: n.kind,
    status: { code: span.status.code, message: span.status.message },
    startTimeUnixNano: span.startTimeUnixNano,
    durationMs: durationMs(span.startTimeUnixNano, span.endTimeUnixNano),
    attributes: shown(span.attributes),
    resource: shown(span.resource.attributes),
    scope: { name: span.scope.name, version: span.scope.version },
    events: span.events.map((e) => ({ name: e.name, offsetMs: durationMs(span.startTimeUnixNano, e.timeUnixNano), attributes: shown(e.attributes) })),
    exceptions: exceptions(span),
    llm: n.llm,
    tool: n.tool,
  };
  if (dropped.attributes || dropped.events || dropped.links) detail.dropped = dropped;
  return detail;
}

/** A trace with every span's detail, for a page that has no host to ask. */
export function traceBundle(traceId: string, spans: Span[], logs: LogRecord[], prices?: Record<string, Price>): TraceBundle {
  const view = traceView(traceId, spans, prices);
  const bySpan = logsBySpan(logs);
  const details: Record<string, SpanDetail> = {};
  const wanted = new Set(view.spans.map((s) => s.id));
  for (const s of spans) if (wanted.has(s.spanId) && !details[s.spanId]) details[s.spanId] = spanDetail(s, bySpan.get(s.spanId) ?? [], prices);
  return { view, details };
}

function shown(attributes: Attributes): ShownAttribute[] {
  return Object.keys(attributes)
    .sort()
    .map((key) => ({ key, value: display(attributes[key]!) }));
}

function display(v: AttrValue): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/** Exception events (OTel `exception.*`), with their stack traces parsed into frames. */
function exceptions(span: Span): SpanException[] {
  return span.events
    .filter((e) => e.name === 'exception')
    .map((e) => {
      const a = e.attributes;
      const stack = typeof a['exception.stacktrace'] === 'string' ? a['exception.stacktrace'] : '';
      return {
        type: typeof a['exception.type'] === 'string' ? a['exception.type'] : '',
        message: typeof a['exception.message'] === 'string' ? a['exception.message'] : '',
        frames: stack ? stack.split(/\r?\n/).filter((l) => l.trim() !== '').map(parseFrame) : [],
      };
    });
}

// Parsing lives with the source mapping, which reads the same frames.
export { parseFrame };
