import type { GatewayRegistration } from '@dms/cluster';

/** One partition to place: its index and the rack of its storage leader (null: none or unknown). */
export interface SpreadPartition {
  partition: number;
  leaderRack: string | null;
}

/** FNV-1a, then murmur3's finaliser so nearby inputs land far apart (rendezvous weights). */
function weight(topic: string, partition: number, gateway: number): number {
  let h = 0x811c9dc5;
  const s = `${topic}\0${partition}\0${gateway}`;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * The advertised leader (a gateway) of every partition of one topic, the same on every gateway
 * that sees the same gateways and partition states:
 *
 * - even: each live gateway advertises floor(n/g) or ceil(n/g) of the topic's partitions, so
 *   client connections and requests spread over the gateways topic by topic;
 * - same rack first: a partition goes to a gateway in its storage leader's rack whenever the
 *   balance allows;
 * - stable: placement is rendezvous hashing with bounded loads. Every (partition, gateway) pair
 *   has a weight; pairs are taken by rack match, then weight, and a gateway takes a partition while
 *   under its share. A gateway joining takes about n/(g+1) partitions and a gateway leaving gives
 *   away its own; evening out the shares moves a few more (never a whole
 *   share more; the unit tests measure it). The answer depends only on the gateways and partitions, so once a gateway's
 *   view has the change, one metadata refresh takes a client to its new gateway.
 */
export function spreadLeaders(topic: string, partitions: readonly SpreadPartition[], gateways: readonly GatewayRegistration[]): Map<number, number> {
  const out = new Map<number, number>();
  const n = partitions.length;
  const g = gateways.length;
  if (n === 0 || g === 0) return out;
  const floor = Math.floor(n / g);
  let extras = n % g;
  const load = new Map<number, number>(gateways.map((gw) => [gw.id, 0]));
  const pairs: { partition: number; gateway: number; sameRack: boolean; weight: number }[] = [];
  for (const p of partitions) {
    for (const gw of gateways) {
      pairs.push({ partition: p.partition, gateway: gw.id, sameRack: p.leaderRack !== null && gw.rack === p.leaderRack, weight: weight(topic, p.partition, gw.id) });
    }
  }
  pairs.sort((a, b) => Number(b.sameRack) - Number(a.sameRack) || b.weight - a.weight || a.gateway - b.gateway || a.partition - b.partition);
  for (const pair of pairs) {
    if (out.has(pair.partition)) continue;
    const l = load.get(pair.gateway)!;
    if (l < floor) {
      load.set(pair.gateway, l + 1);
      out.set(pair.partition, pair.gateway);
    } else if (l === floor && extras > 0) {
      extras--;
      load.set(pair.gateway, l + 1);
      out.set(pair.partition, pair.gateway);
    }
    if (out.size === n) break;
  }
  return out;
}
