/**
 * MLflow tracing (3.x autolog): `mlflow.spanType`, `mlflow.spanInputs` / `mlflow.spanOutputs`,
 * `mlflow.chat.tokenUsage`, `mlflow.chat.tools`. Every attribute value is JSON text, strings
 * included (`"\"CHAT_MODEL\""`).
 */
import type { SpanCategory } from '../../../shared/llm.js';
import { type Reader, fill } from '../draft.js';
import { isObject, json, lastField, text, unquote } from '../read.js';
import { toolName } from './genai.js';
import { requestFrom, responseMessages, usageFrom } from './payloads.js';

const KINDS: Record<string, SpanCategory> = {
  llm: 'llm', chat_model: 'llm', embedding: 'embedding', tool: 'tool', agent: 'agent', chain: 'chain',
  parser: 'chain', retriever: 'retriever', reranker: 'reranker', unknown: 'other',
};

export const readMlflow: Reader = ({ span, withContent }, d) => {
  const a = span.attributes;
  const type = unquote(a['mlflow.spanType']);
  if (type === undefined) return;
  fill(d, 'kind', KINDS[type.toLowerCase()] ?? 'other');
  fill(d, 'convention', 'mlflow');
  if (d.kind === 'tool') {
    d.tool ??= {};
    d.tool.name ??= unquote(a['mlflow.spanFunctionName']) ?? span.name;
    if (!withContent) return;
    const args = unquote(a['mlflow.spanInputs']);
    const result = unquote(a['mlflow.spanOutputs']);
    if (args !== undefined) d.tool.arguments ??= text(json(args));
    if (result !== undefined) d.tool.result ??= text(json(result));
    return;
  }
  if (d.kind !== 'llm' && d.kind !== 'embedding') return;
  // JSON text, or (encoded twice) a JSON string holding the JSON text.
  const inputs = unquote(a['mlflow.spanInputs']);
  const outputs = unquote(a['mlflow.spanOutputs']);
  // Model and usage without parsing the messages: the kwargs' `model` is also an attribute,
  // and the response dump ends with its `model` and `usage`.
  fill(d, 'requestModel', unquote(a['model']) ?? stringOf(lastField(inputs, 'model')));
  fill(d, 'responseModel', stringOf(lastField(outputs, 'model')));
  usageFrom(d, unquote(a['mlflow.chat.tokenUsage']));
  usageFrom(d, lastField(outputs, 'usage'));
  if (!withContent) return;
  const tools = json(unquote(a['mlflow.chat.tools']));
  if (Array.isArray(tools)) fill(d, 'tools', tools.map(toolName).filter((n): n is string => !!n));
  const body = json(inputs);
  if (isObject(body)) requestFrom(d, body, true);
  if (d.kind === 'embedding') return; // the output is the vector
  const out = responseMessages(outputs);
  if (out) {
    fill(d, 'output', out.output);
    fill(d, 'finishReasons', out.finish);
  }
};

function stringOf(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}
