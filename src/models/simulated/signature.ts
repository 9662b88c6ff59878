/**
 * A 64-bit FNV-1a hash of a string, as 16 hex digits: cheap, deterministic and runtime-free (no
 * `node:crypto`, so the simulator runs in a browser too). Not for security. @internal
 */
export function hashText(text: string, seed = ''): string {
  // Two 32-bit FNV-1a lanes with different offsets: 64 bits make collisions negligible for a simulator.
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ 0x5bd1e995;
  const input = seed === '' ? text : `${seed}\u0000${text}`;
  for (let i = 0; i < input.length; i++) {
    const code = input.charCodeAt(i);
    a = Math.imul(a ^ code, 0x01000193);
    b = Math.imul(b ^ code, 0x01000193 ^ 0x2545f491);
  }
  return (a >>> 0).toString(16).padStart(8, '0') + (b >>> 0).toString(16).padStart(8, '0');
}

/**
 * The signature the simulated providers give a thinking block: a hash of its text, so a block sent
 * back changed (or with another block's signature) is refused, as the real API refuses one whose
 * signature does not verify. @internal
 */
export function thinkingSignature(thinking: string): string {
  return `sim_sig_${hashText(thinking, 'thinking')}`;
}
