/**
 * Chat messages from any shape the conventions use, to one Message: GenAI `parts`, OpenAI
 * (`content` string or parts, `tool_calls`), Anthropic content blocks (`tool_use`,
 * `tool_result`), Vercel AI SDK parts (`tool-call`, `tool-result`), and plain strings.
 */
import type { Message, ToolCall } from '../../shared/llm.js';
import { isObject, isRedacted, json, str, text } from './read.js';

type Obj = Record<string, unknown>;

/** Placeholders for parts that are not text (images, audio, files): shown, never fetched. */
function placeholder(type: string, part: Obj): string {
  const mime = str(part.mime_type ?? part.mimeType ?? part.media_type ?? part.mediaType);
  const kind = type.includes('image') ? 'image' : type.includes('audio') ? 'audio' : type === 'uri' ? 'uri' : 'file';
  return `[${kind}${mime ? ` ${mime}` : ''}]`;
}

function argumentsText(v: unknown): string {
  if (v === undefined || v === null) return '{}';
  return typeof v === 'string' ? v : JSON.stringify(v);
}

export function toolCallFrom(v: unknown): ToolCall | undefined {
  if (!isObject(v)) return undefined;
  const fn = isObject(v.function) ? v.function : isObject(v.function_call) ? v.function_call : undefined;
  const name = str(fn?.name ?? v.name ?? v.toolName ?? v.tool_name);
  if (!name) return undefined;
  return {
    id: str(v.id ?? v.toolCallId ?? v.tool_call_id ?? v.call_id) ?? null,
    name,
    arguments: argumentsText(fn ? fn.arguments : v.arguments ?? v.args ?? v.input),
  };
}

/**
 * A tool result as text. The Vercel AI SDK (v5+) wraps it as `{ type: 'json' | 'text' |
 * 'error-json' | 'error-text', value }`: the value is what the tool returned.
 */
function toolResultText(v: unknown, depth: number): string {
  if (isObject(v) && typeof v.type === 'string' && 'value' in v && Object.keys(v).length === 2) return text(v.value);
  if (Array.isArray(v) && depth < MAX_DEPTH) {
    const result: PartsResult = { texts: [], toolCalls: [], toolCallId: null };
    readParts(v, result, depth + 1);
    return result.texts.join('\n');
  }
  return text(v);
}

// Tool results may hold parts that hold tool results: deep enough for real data, bounded for crafted data.
const MAX_DEPTH = 8;

/**
 * Message content that may be a list of parts sent as JSON text (span-event attributes,
 * OpenLLMetry's indexed content). A string is only read as parts when it parses to a list of
 * part objects: a user's message that happens to be JSON stays the text it was.
 */
export function contentParts(v: unknown): unknown[] | undefined {
  if (Array.isArray(v)) return v;
  if (typeof v !== 'string' || v.charCodeAt(0) !== 91 /* [ */) return undefined;
  const parsed = json(v);
  if (Array.isArray(parsed) && parsed.length > 0 && parsed.every((p) => isObject(p) && typeof p.type === 'string')) return parsed;
  return undefined;
}

interface PartsResult {
  texts: string[];
  toolCalls: ToolCall[];
  toolCallId: string | null;
}

function readParts(parts: unknown[], into: PartsResult, depth = 0): void {
  for (const raw of parts) {
    if (typeof raw === 'string') {
      into.texts.push(raw);
      continue;
    }
    if (!isObject(raw)) continue;
    const type = str(raw.type) ?? (raw.text !== undefined ? 'text' : '');
    switch (type) {
      case 'text':
      case 'input_text':
      case 'output_text':
        into.texts.push(text(raw.content ?? raw.text));
        break;
      case 'reasoning':
      case 'thinking':
        into.texts.push(`[reasoning] ${text(raw.content ?? raw.text ?? raw.thinking)}`);
        break;
      case 'tool_call':
      case 'tool-call':
      case 'tool_use':
      case 'function_call': {
        const call = toolCallFrom(raw);
        if (call) into.toolCalls.push(call);
        break;
      }
      case 'tool_call_response':
      case 'tool-result':
      case 'tool_result':
      case 'function_call_output':
        into.toolCallId ??= str(raw.id ?? raw.toolCallId ?? raw.tool_use_id ?? raw.call_id) ?? null;
        into.texts.push(toolResultText(raw.response ?? raw.result ?? raw.output ?? raw.content, depth));
        break;
      case 'message_content':
        // OpenInference's structured contents: { type, text, image: { url } }.
        into.texts.push(raw.text !== undefined ? text(raw.text) : placeholder('image', raw));
        break;
      default:
        if (/image|audio|file|blob|uri|video|document/.test(type)) into.texts.push(placeholder(type, raw));
        else if (raw.text !== undefined || raw.content !== undefined) into.texts.push(text(raw.text ?? raw.content));
    }
  }
}

/** One message from any known shape; `role` is used when the value does not say. */
export function toMessage(v: unknown, role = 'user'): Message {
  const value = json(v);
  if (!isObject(value)) return { role, content: isRedacted(value) ? '' : text(value), toolCalls: [], toolCallId: null };
  const m = value;
  const result: PartsResult = { texts: [], toolCalls: [], toolCallId: null };
  const raw = m.parts ?? m.content ?? m.contents;
  const parts = contentParts(raw);
  if (parts) readParts(parts, result);
  else if (raw !== undefined && raw !== null && !isRedacted(raw)) result.texts.push(text(raw));
  const calls = json(m.tool_calls ?? m.toolCalls);
  if (Array.isArray(calls)) for (const c of calls) {
    const call = toolCallFrom(c);
    if (call) result.toolCalls.push(call);
  }
  const legacyFn = m.function_call ?? m.functionCall;
  if (isObject(legacyFn)) {
    const call = toolCallFrom({ function: legacyFn });
    if (call) result.toolCalls.push(call);
  }
  const messageRole = str(m.role) ?? role;
  return {
    role: messageRole,
    content: result.texts.join('\n'),
    toolCalls: result.toolCalls,
    // A bare `id` names the call only on a tool message (GenAI `gen_ai.tool.message` events);
    // on an assistant message it is the response id.
    toolCallId: str(m.tool_call_id ?? m.toolCallId ?? (messageRole === 'tool' ? m.id : undefined)) ?? result.toolCallId,
  };
}

/** A list of messages from an array, an object holding `messages`, or a single prompt string. */
export function toMessages(v: unknown, role = 'user'): Message[] | undefined {
  const value = json(v);
  if (Array.isArray(value)) return value.map((m) => toMessage(m, role));
  if (isObject(value)) {
    if (Array.isArray(json(value.messages))) return toMessages(value.messages, role);
    if (value.role !== undefined || value.parts !== undefined) return [toMessage(value, role)];
    return undefined;
  }
  // Text that is not a message list (a prompt string, or JSON cut short by an attribute length
  // limit) is shown as it is, as one message: the user sees what was recorded.
  if (typeof value === 'string' && value !== '' && !isRedacted(value)) return [{ role, content: value, toolCalls: [], toolCallId: null }];
  return undefined;
}

/** The text of GenAI `system_instructions` (a list of parts) or of a plain string. */
export function systemText(v: unknown): string | undefined {
  const value = json(v);
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) {
    const result: PartsResult = { texts: [], toolCalls: [], toolCallId: null };
    readParts(value, result);
    return result.texts.join('\n');
  }
  if (isObject(value)) return toMessage(value, 'system').content;
  return undefined;
}

/** Lifts leading system messages out of the input into the system text, as every view shows them apart. */
export function splitSystem(messages: Message[]): { system: string | undefined; rest: Message[] } {
  let i = 0;
  while (i < messages.length && (messages[i]!.role === 'system' || messages[i]!.role === 'developer')) i++;
  if (i === 0) return { system: undefined, rest: messages };
  const system = messages.slice(0, i).map((m) => m.content).filter(Boolean).join('\n');
  return { system: system || undefined, rest: messages.slice(i) };
}
