/** Typed access to the `spanlens.*` settings; the one place their names are written in code. */
import * as vscode from 'vscode';

export interface ReceiverConfig {
  enabled: boolean;
  httpPort: number;
  grpcPort: number;
  maxBodyBytes: number;
}

export function receiverConfig(): ReceiverConfig {
  const c = vscode.workspace.getConfiguration('spanlens.receiver');
  return {
    enabled: c.get<boolean>('enabled', true),
    httpPort: c.get<number>('httpPort', 4318),
    grpcPort: c.get<number>('grpcPort', 4317),
    maxBodyBytes: c.get<number>('maxBodyBytes', 64 * 1024 * 1024),
  };
}

export const RECEIVER_SECTION = 'spanlens.receiver';
