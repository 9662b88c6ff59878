import { RxOrchestraError, brandError, hasErrorTag } from '../errors/rx-orchestra-error.js';

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
export class MissingPeerError extends RxOrchestraError {
  static {
    brandError(this, 'MissingPeerError');
  }
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

/**
 * True for a {@link MissingPeerError}, also one from another copy of this package.
 *
 * ## Example
 * ```ts
 * import { isMissingPeerError } from 'rx-orchestra';
 * if (isMissingPeerError(error)) console.error(`install ${error.packageName}`);
 * ```
 */
export function isMissingPeerError(error: unknown): error is MissingPeerError {
  return hasErrorTag(error, 'MissingPeerError');
}
