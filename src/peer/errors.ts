/**
 * An optional peer dependency an entry point needs is not installed. The message says which package
 * to install and what needs it.
 *
 * ## Example
 * ```ts
 * import { sqliteStore } from 'rx-orchestra/store';
 * import { isMissingPeerError } from 'rx-orchestra';
 * try {
 *   sqliteStore('runs.db');
 * } catch (error) {
 *   if (isMissingPeerError(error)) console.error(error.message); // "... run: npm install better-sqlite3"
 * }
 * ```
 */
export class MissingPeerError extends Error {
  override readonly name = 'MissingPeerError';
  readonly code = 'MISSING_PEER' as const;
  readonly retryable = false;
  /** The package to install. */
  readonly packageName: string;

  constructor(packageName: string, neededBy: string, options?: { cause?: unknown }) {
    super(`${neededBy} needs the package '${packageName}', which is not installed: run npm install ${packageName}`, options);
    this.packageName = packageName;
  }
}

/** True when `error` is a {@link MissingPeerError} (of any copy of the package). */
export const isMissingPeerError = (error: unknown): error is MissingPeerError =>
  error instanceof Error && (error as { code?: unknown }).code === 'MISSING_PEER' && error.name === 'MissingPeerError';
