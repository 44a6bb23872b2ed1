/** Typed access to the `spanlens.*` settings; the one place their names are written in code. */
import * as vscode from 'vscode';
import type { Price } from '../core/normalize/prices.js';
import type { StoreOptions } from '../core/store/spanStore.js';

export interface ReceiverConfig {
  enabled: boolean;
  httpPort: number;
  grpcPort: number;
  maxBodyBytes: number;
  /** Address to bind; anything but loopback needs a token. */
  host: string;
  /** Shared secret for `Authorization: Bearer …`; empty: none. */
  token: string;
  /** Non-loopback origins browser apps may export from. */
  allowedOrigins: string[];
}

export const RECEIVER_SECTION = 'spanlens.receiver';
/** Settings that shape what the store keeps and computes. */
export const STORE_SECTIONS = ['spanlens.retention', 'spanlens.runs', 'spanlens.prices', 'spanlens.limits'];

export function receiverConfig(): ReceiverConfig {
  const c = vscode.workspace.getConfiguration('spanlens.receiver');
  return {
    enabled: c.get<boolean>('enabled', true),
    httpPort: c.get<number>('httpPort', 4318),
    grpcPort: c.get<number>('grpcPort', 4317),
    maxBodyBytes: c.get<number>('maxBodyBytes', 64 * 1024 * 1024),
    host: c.get<string>('host', '127.0.0.1').trim() || '127.0.0.1',
    token: c.get<string>('token', '').trim(),
    allowedOrigins: [...c.get<string[]>('allowedOrigins', [])].filter((o): o is string => typeof o === 'string'),
  };
}

export function storeConfig(): Pick<StoreOptions, 'retention' | 'prices' | 'quietGapMs' | 'maxSpansPerTrace'> {
  const c = vscode.workspace.getConfiguration('spanlens');
  return {
    retention: {
      maxTraces: c.get<number>('retention.maxTraces', 5000),
      maxBytes: c.get<number>('retention.maxMegabytes', 512) * 1024 * 1024,
    },
    // A plain copy: VS Code hands configuration objects out as proxies, which cannot cross to the store's worker.
    prices: JSON.parse(JSON.stringify(c.get<Record<string, Price>>('prices', {}))) as Record<string, Price>,
    quietGapMs: c.get<number>('runs.quietGapSeconds', 120) * 1000,
    maxSpansPerTrace: c.get<number>('limits.spansPerTrace', 10_000),
  };
}

export interface EditorConfig {
  codeLens: boolean;
  inlineDecorations: boolean;
}

export const EDITOR_SECTION = 'spanlens.editor';

/** The editor surfaces (CodeLens, end-of-line text) that show calls next to the code that made them. */
export function editorConfig(): EditorConfig {
  const c = vscode.workspace.getConfiguration(EDITOR_SECTION);
  return {
    codeLens: c.get<boolean>('codeLens', true),
    inlineDecorations: c.get<boolean>('inlineDecorations', true),
  };
}

export interface RunConfig {
  /** Open the timeline of a traced run's last trace when the run ends. */
  openTimeline: boolean;
}

/** "Run and trace": what happens when a traced run ends. */
export function runConfig(): RunConfig {
  const c = vscode.workspace.getConfiguration('spanlens.run');
  return { openTimeline: c.get<boolean>('openTimeline', false) };
}
