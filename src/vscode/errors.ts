/** Turns an error into a message a user can act on. */
export function userMessage(err: unknown, doing: string): string {
  const e = err as { code?: string; message?: string };
  if (e.code === 'EACCES') return `Spanlens could not ${doing}: permission denied (${e.message}).`;
  if (e.code === 'ENOSPC') return `Spanlens could not ${doing}: the disk is full.`;
  return `Spanlens could not ${doing}: ${e.message ?? String(err)}`;
}
