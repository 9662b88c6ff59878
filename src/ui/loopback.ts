/**
 * The hosts the dashboard listens on: loopback only. It has no authentication, and its events carry
 * the run's outputs, so it never listens where another machine could reach it; to watch a remote
 * run, forward the port (`ssh -L 4800:127.0.0.1:4800 host`). Kept free of imports so the CLI can
 * check `--ui-host` without loading the dashboard.
 */
export const LOOPBACK_HOSTS = ['127.0.0.1', 'localhost', '::1'] as const;

/**
 * One of {@link LOOPBACK_HOSTS}.
 *
 * ## Example
 * ```ts
 * import type { LoopbackHost } from 'rx-orchestra/ui';
 * const host: LoopbackHost = '::1';
 * ```
 */
export type LoopbackHost = (typeof LOOPBACK_HOSTS)[number];

/** True for a host the dashboard accepts (see {@link LOOPBACK_HOSTS}). */
export function isLoopbackHost(host: unknown): host is LoopbackHost {
  return typeof host === 'string' && (LOOPBACK_HOSTS as readonly string[]).includes(host);
}

/** Why a host is refused, naming it and the way out (the same words for `--ui-host` and `startDashboard`). */
export function nonLoopbackMessage(what: string, host: string): string {
  return `${what} '${host}' is refused: the dashboard has no authentication and listens only on loopback (${LOOPBACK_HOSTS.join(', ')}); to watch from another machine, forward its port, e.g. ssh -L 4800:127.0.0.1:4800 <host>`;
}
