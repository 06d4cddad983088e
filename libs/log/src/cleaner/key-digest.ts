/**
 * A 128-bit digest of a record key for the cleaner's offset map, computed in JS with 32-bit
 * multiplies (MurmurHash3's x86_128 mixing) into four words of `out`. Kafka digests keys with MD5;
 * what matters is the same: 128 bits make an accidental collision of two live keys negligible,
 * and this one costs no allocation per key (MD5 through node:crypto was a fifth of the cleaner's
 * CPU). It is not meant to resist crafted collisions, any more than Kafka's use of MD5 is: a
 * client that may write to a topic can delete any of its keys with a tombstone anyway.
 */
const C1 = 0x239b961b;
const C2 = 0xab0e9789;
const C3 = 0x38b34ae5;
const C4 = 0xa1e38b93;

export function keyDigest(buf: Uint8Array, start: number, len: number, out: Uint32Array): void {
  const key = buf;
  const o = start;
  let h1 = 0x9747b28c;
  let h2 = 0x9747b28c;
  let h3 = 0x9747b28c;
  let h4 = 0x9747b28c;
  const blocks = len & ~15;
  let i = 0;
  for (; i < blocks; i += 16) {
    let k1 = key[o + i]! | (key[o + i + 1]! << 8) | (key[o + i + 2]! << 16) | (key[o + i + 3]! << 24);
    let k2 = key[o + i + 4]! | (key[o + i + 5]! << 8) | (key[o + i + 6]! << 16) | (key[o + i + 7]! << 24);
    let k3 = key[o + i + 8]! | (key[o + i + 9]! << 8) | (key[o + i + 10]! << 16) | (key[o + i + 11]! << 24);
    let k4 = key[o + i + 12]! | (key[o + i + 13]! << 8) | (key[o + i + 14]! << 16) | (key[o + i + 15]! << 24);
    k1 = Math.imul(rotl(Math.imul(k1, C1), 15), C2);
    h1 ^= k1;
    h1 = (Math.imul(rotl(h1, 19) + h2, 5) + 0x561ccd1b) | 0;
    k2 = Math.imul(rotl(Math.imul(k2, C2), 16), C3);
    h2 ^= k2;
    h2 = (Math.imul(rotl(h2, 17) + h3, 5) + 0x0bcaa747) | 0;
    k3 = Math.imul(rotl(Math.imul(k3, C3), 17), C4);
    h3 ^= k3;
    h3 = (Math.imul(rotl(h3, 15) + h4, 5) + 0x96cd1c35) | 0;
    k4 = Math.imul(rotl(Math.imul(k4, C4), 18), C1);
    h4 ^= k4;
    h4 = (Math.imul(rotl(h4, 13) + h1, 5) + 0x32ac3b17) | 0;
  }
  // Tail: up to 15 bytes into four lanes.
  let k1 = 0;
  let k2 = 0;
  let k3 = 0;
  let k4 = 0;
  for (let j = len - 1; j >= i; j--) {
    const lane = (j - i) >> 2;
    const shift = ((j - i) & 3) << 3;
    const b = key[o + j]! << shift;
    if (lane === 0) k1 |= b;
    else if (lane === 1) k2 |= b;
    else if (lane === 2) k3 |= b;
    else k4 |= b;
  }
  const tail = len - i;
  if (tail > 12) h4 ^= Math.imul(rotl(Math.imul(k4, C4), 18), C1);
  if (tail > 8) h3 ^= Math.imul(rotl(Math.imul(k3, C3), 17), C4);
  if (tail > 4) h2 ^= Math.imul(rotl(Math.imul(k2, C2), 16), C3);
  if (tail > 0) h1 ^= Math.imul(rotl(Math.imul(k1, C1), 15), C2);

  h1 ^= len;
  h2 ^= len;
  h3 ^= len;
  h4 ^= len;
  h1 = (h1 + h2 + h3 + h4) | 0;
  h2 = (h2 + h1) | 0;
  h3 = (h3 + h1) | 0;
  h4 = (h4 + h1) | 0;
  h1 = fmix(h1);
  h2 = fmix(h2);
  h3 = fmix(h3);
  h4 = fmix(h4);
  h1 = (h1 + h2 + h3 + h4) | 0;
  h2 = (h2 + h1) | 0;
  h3 = (h3 + h1) | 0;
  h4 = (h4 + h1) | 0;
  out[0] = h1;
  out[1] = h2;
  out[2] = h3;
  out[3] = h4;
}

function rotl(x: number, r: number): number {
  return (x << r) | (x >>> (32 - r));
}

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}
