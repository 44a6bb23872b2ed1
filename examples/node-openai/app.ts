// Spanlens example: an app calling OpenAI five ways: a plain call, a streamed call, a tool call and
// its result, an embedding, and a failing call. Run it with "Spanlens: Run Current File with Tracing"
// (or `spanlens run -- npx tsx app.ts`): the Spanlens preload traces the `openai` SDK.
// With OPENAI_API_KEY it calls the real API; without it, the local stand-in in standIn.mjs.
import { trace } from '@opentelemetry/api';
import OpenAI from 'openai';
import { MISSING_MODEL, startStandIn } from './standIn.mjs';

const MODEL = process.env.EXAMPLE_MODEL ?? 'gpt-4o-mini';
const WEATHER_TOOL = {
  type: 'function' as const,
  function: {
    name: 'get_weather',
    description: 'Current weather in a city',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  },
};

async function makeClient(): Promise<OpenAI> {
  if (process.env.OPENAI_API_KEY) return new OpenAI();
  const standIn = await startStandIn();
  console.log(`No OPENAI_API_KEY: using the local stand-in at ${standIn.baseURL}`);
  return new OpenAI({ apiKey: 'stand-in', baseURL: standIn.baseURL, maxRetries: 0 });
}

function weather(city: string): { city: string; temperatureC: number; sky: string } {
  return { city, temperatureC: 29, sky: 'sunny' };
}

async function main(): Promise<number> {
  const client = await makeClient();
  const tracer = trace.getTracer('node-openai-example');
  return tracer.startActiveSpan('node-openai example', async (root) => {
    try {
      const plain = await client.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'Name one island off Tanzania.' }] }); // plain call
      console.log('plain:', plain.choices[0]?.message.content);

      const stream = await client.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'Count to five.' }], stream: true, stream_options: { include_usage: true } }); // streaming call
      let streamed = '';
      for await (const chunk of stream) streamed += chunk.choices[0]?.delta.content ?? '';
      console.log('stream:', streamed);

      const messages: OpenAI.Chat.ChatCompletionMessageParam[] = [{ role: 'user', content: 'What is the weather in Zanzibar?' }];
      const first = await client.chat.completions.create({ model: MODEL, messages, tools: [WEATHER_TOOL] }); // tool call
      const call = first.choices[0]?.message.tool_calls?.[0];
      if (call?.type === 'function') {
        const result = weather((JSON.parse(call.function.arguments) as { city: string }).city);
        messages.push(first.choices[0]!.message, { role: 'tool', tool_call_id: call.id, content: JSON.stringify(result) });
        const answer = await client.chat.completions.create({ model: MODEL, messages, tools: [WEATHER_TOOL] }); // tool result
        console.log('tool:', answer.choices[0]?.message.content);
      }

      const embedding = await client.embeddings.create({ model: 'text-embedding-3-small', input: 'Zanzibar ferry timetable' }); // embedding
      console.log(`embedding: ${embedding.data[0]?.embedding.length} dimensions`);

      try {
        await client.chat.completions.create({ model: MISSING_MODEL, messages: [{ role: 'user', content: 'Hello?' }] }); // failing call
        return 1;
      } catch (error) {
        console.log('failing call failed as expected:', (error as Error).message);
        return 0;
      }
    } finally {
      root.end();
    }
  });
}

process.exitCode = await main();
