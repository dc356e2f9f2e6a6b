/**
 * Exact sets of users, compact: users are numbered by a per-store dictionary (small integers in
 * order of first appearance), and a set is its sorted numbers stored as varint gaps — a few bytes
 * per user however sparse, about 1.1 bytes per user for a dense day. Reports union the sets of
 * many days and types; distinct users are exact, never estimated.
 */

/** Encodes strictly increasing non-negative integers as LEB128 varints of their gaps. */
export function encodeUserSet(sorted: readonly number[]): Uint8Array {
  const bytes: number[] = [];
  let previous = -1;
  for (const n of sorted) {
    if (!Number.isInteger(n) || n <= previous) throw new Error("user set: numbers must increase");
    let gap = n - previous - 1;
    previous = n;
    while (gap >= 0x80) {
      bytes.push((gap & 0x7f) | 0x80);
      gap = Math.floor(gap / 0x80);
    }
    bytes.push(gap);
  }
  return Uint8Array.from(bytes);
}

/** Calls `each` with every number of an encoded set, in increasing order. */
export function forEachUser(encoded: Uint8Array, each: (n: number) => void): void {
  let previous = -1;
  let gap = 0;
  let scale = 1;
  for (const byte of encoded) {
    gap += (byte & 0x7f) * scale;
    if (byte & 0x80) {
      scale *= 0x80;
      continue;
    }
    previous += gap + 1;
    each(previous);
    gap = 0;
    scale = 1;
  }
}

/** The number of users in an encoded set: each varint ends with the one byte below 0x80. */
export function countUsers(encoded: Uint8Array): number {
  let count = 0;
  for (let i = 0; i < encoded.length; i += 1) if (encoded[i]! < 0x80) count += 1;
  return count;
}

export function decodeUserSet(encoded: Uint8Array): number[] {
  const numbers: number[] = [];
  forEachUser(encoded, (n) => numbers.push(n));
  return numbers;
}

/** The union of an encoded set and some numbers (any order, repeats allowed), encoded. */
export function addUsers(encoded: Uint8Array | null, added: Iterable<number>): Uint8Array {
  const all = new Set(encoded === null ? [] : decodeUserSet(encoded));
  for (const n of added) all.add(n);
  return encodeUserSet([...all].sort((a, b) => a - b));
}

/** A union of sets, counted: a bitmap over user numbers, grown as larger numbers arrive. */
export class DistinctUsers {
  private words = new Uint32Array(64);
  private count = 0;

  /** forEachUser's decoding, inlined: reports add millions of numbers, and a call per number showed. */
  addEncoded(encoded: Uint8Array): void {
    let previous = -1;
    let gap = 0;
    let scale = 1;
    for (let i = 0; i < encoded.length; i += 1) {
      const byte = encoded[i]!;
      gap += (byte & 0x7f) * scale;
      if (byte & 0x80) {
        scale *= 0x80;
        continue;
      }
      previous += gap + 1;
      this.add(previous);
      gap = 0;
      scale = 1;
    }
  }

  add(n: number): void {
    const word = n >>> 5;
    if (word >= this.words.length) {
      const grown = new Uint32Array(Math.max(word + 1, this.words.length * 2));
      grown.set(this.words);
      this.words = grown;
    }
    const bit = 1 << (n & 31);
    if ((this.words[word]! & bit) === 0) {
      this.words[word] = this.words[word]! | bit;
      this.count += 1;
    }
  }

  get size(): number {
    return this.count;
  }
}
