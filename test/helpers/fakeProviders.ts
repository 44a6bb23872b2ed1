/**
 * Local stand-ins for the Anthropic Messages API and the Gemini API (`@google/genai`), with
 * fixed answers, so that the real SDKs and their instrumentations run offline.
 * - POST /v1/messages → a text message FAKE_PROVIDERS.anthropic.
 * - POST /v1beta/models/MODEL:generateContent → one candidate with FAKE_PROVIDERS.gemini.
 * - anything else → 404.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export const FAKE_PROVIDERS = {
  anthropic: { text: 'Paris, on the Seine.', inputTokens: 14, outputTokens: 7 },
  gemini: { text: 'Paris is the capital.', promptTokens: 9, candidateTokens: 5 },
};

export interface FakeProviders {
  url: string;
  close(): Promise<void>;
}

export async function startFakeProviders(): Promise<FakeProviders> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as { model?: string };
      const json = (status: number, value: unknown): void => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(value));
      };
      const path = (req.url ?? '').split('?')[0]!;
      if (req.method === 'POST' && path === '/v1/messages') {
        const a = FAKE_PROVIDERS.anthropic;
        return json(200, {
          id: 'msg_fake_1', type: 'message', role: 'assistant', model: body.model,
          content: [{ type: 'text', text: a.text }], stop_reason: 'end_turn', stop_sequence: null,
          usage: { input_tokens: a.inputTokens, output_tokens: a.outputTokens },
        });
      }
      const gemini = /^\/v1beta\/models\/([^/:]+):generateContent$/.exec(path);
      if (req.method === 'POST' && gemini) {
        const g = FAKE_PROVIDERS.gemini;
        return json(200, {
          candidates: [{ content: { role: 'model', parts: [{ text: g.text }] }, finishReason: 'STOP', index: 0 }],
          usageMetadata: { promptTokenCount: g.promptTokens, candidatesTokenCount: g.candidateTokens, totalTokenCount: g.promptTokens + g.candidateTokens },
          modelVersion: gemini[1],
        });
      }
      json(404, { error: { message: `no ${req.method} ${path} here` } });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
