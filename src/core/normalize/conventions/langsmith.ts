/** LangSmith's OTel export: `langsmith.span.kind`, `langsmith.metadata.ls_*`, JSON `gen_ai.prompt` / `gen_ai.completion`. */
import type { SpanCategory } from '../../../shared/llm.js';
import { type Reader, fill } from '../draft.js';
import { toMessages } from '../messages.js';
import { json, str } from '../read.js';
import { responseMessages } from './payloads.js';

const KINDS: Record<string, SpanCategory> = {
  llm: 'llm', chat_model: 'llm', embedding: 'embedding', tool: 'tool', chain: 'chain', prompt: 'chain', parser: 'chain',
  retriever: 'retriever', agent: 'agent',
};

export const readLangsmith: Reader = ({ span, withContent }, d) => {
  const a = span.attributes;
  const kind = str(a['langsmith.span.kind']);
  if (kind === undefined) return;
  fill(d, 'kind', KINDS[kind.toLowerCase()] ?? 'other');
  fill(d, 'convention', 'langsmith');
  fill(d, 'requestModel', str(a['langsmith.metadata.ls_model_name']));
  fill(d, 'provider', str(a['langsmith.metadata.ls_provider']));
  if (!withContent) return;
  if (typeof a['gen_ai.prompt'] === 'string') fill(d, 'input', toMessages(json(a['gen_ai.prompt'])));
  if (typeof a['gen_ai.completion'] === 'string') {
    const completion = json(a['gen_ai.completion']);
    fill(d, 'output', responseMessages(completion)?.output ?? toMessages(completion, 'assistant'));
  }
};
