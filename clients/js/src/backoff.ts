/**
 * Reconnect delays: exponential, capped, with "equal jitter" (half the delay fixed, half
 * random), so that a thousand clients a pod dropped do not come back in the same instant, and
 * none waits longer than the cap.
 */

export interface BackoffOptions {
  /** The first delay, ms (default 500). */
  initialMs?: number;
  /** The longest delay, ms (default 30 000). */
  maxMs?: number;
}

/** The delay before reconnect attempt `attempt` (0 = the first), ms. */
export function backoffDelay(
  attempt: number,
  options: BackoffOptions = {},
  random: () => number = Math.random,
): number {
  const initial = options.initialMs ?? 500;
  const max = options.maxMs ?? 30_000;
  const ceiling = Math.min(max, initial * 2 ** Math.min(attempt, 30));
  return ceiling / 2 + (random() * ceiling) / 2;
}
