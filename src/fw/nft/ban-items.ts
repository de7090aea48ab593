/**
 * Bans on their way into sets: each address classified once, the key bytes of
 * single addresses packed into one buffer (100,000 bans must not make 100,000
 * buffers), and turned into element changes: packed keys for the hash sets
 * of single addresses, interval bounds for the sets of prefixes.
 */
import { intervalChange, type ElementChange } from '../../../native/nftables/element.js';
import { addrId, addrKey, addrTarget, netBounds, setName, singleAddrKeyInto } from './names.js';

/** One ban: its set, where its key is in the slab (single addresses), its text (prefixes), seconds left. */
export interface BanItem {
  readonly set: string;
  /** Offset of the key in BanItems.slab; -1 for a prefix. */
  readonly at: number;
  readonly keyLen: number;
  readonly text?: string;
  readonly net: boolean;
  /** Whole seconds of timeout, null = permanent. */
  readonly left: number | null;
}

/** addrTarget, or undefined for text that is no address or prefix. */
function targetOrUndefined(addr: string): ReturnType<typeof addrTarget> | undefined {
  try {
    return addrTarget(addr);
  } catch {
    return undefined;
  }
}

/** Space per address in the slab (an IPv6 key). */
const SLOT = 16;

/** Parsed bans of one call. */
export class BanItems {
  readonly items: BanItem[] = [];
  /** Entries whose address is not one, left out. */
  readonly rejected: { readonly jail: string; readonly addr: string }[] = [];
  private readonly slab: Buffer;

  /**
   * `entries` name jail and address; `leftOf` gives each one's seconds left
   * (undefined = skip it, null = permanent). Throws on a bad address.
   */
  constructor(entries: readonly { readonly jail: string; readonly addr: string }[], leftOf: (i: number) => number | null | undefined) {
    this.slab = Buffer.allocUnsafe(SLOT * entries.length);
    // Set names by jail and version, made once (not once per ban).
    const names = new Map<string, string>();
    const nameOf = (jail: string, version: 4 | 6): string => {
      const k = `${version}${jail}`;
      let n = names.get(k);
      if (n === undefined) names.set(k, (n = setName(jail, version, 'addr')));
      return n;
    };
    let at = 0;
    for (let k = 0; k < entries.length; k++) {
      const e = entries[k] as { readonly jail: string; readonly addr: string };
      const left = leftOf(k);
      if (left === undefined) continue;
      const version = singleAddrKeyInto(e.addr, this.slab, at);
      if (version !== undefined) {
        this.items.push({ set: nameOf(e.jail, version), at, keyLen: version === 4 ? 4 : 16, net: false, left });
      } else {
        const t = targetOrUndefined(e.addr);
        if (!t) {
          // Not an address: left out, so it cannot fail the other elements' batch.
          this.rejected.push(e);
          continue;
        }
        const net = t.kind === 'net';
        if (!net) addrKey(t).copy(this.slab, at);
        this.items.push({ set: setName(e.jail, t.version, t.kind), at: net ? -1 : at, keyLen: net ? 0 : t.version === 4 ? 4 : 16, text: t.text, net, left });
      }
      at += SLOT;
    }
  }

  /** Identity of an item as in ActualState.elements (names.ts addrId). */
  id(i: BanItem): string {
    return i.net ? (i.text as string) : addrId(this.slab.subarray(i.at, i.at + i.keyLen));
  }

  /** The element change of items of one set (timeouts from `left` for an add): interval bounds for prefixes. */
  change(op: 'add' | 'delete', set: string, group: readonly BanItem[]): ElementChange {
    if (group[0]?.net) {
      const keyLen = (group[0].text as string).includes(':') ? 16 : 4;
      return intervalChange(op, set, keyLen, group.map((i) => ({ ...netBounds(i.text as string), timeoutMs: i.left === null ? null : i.left * 1000 })));
    }
    const keyLen = group[0]?.keyLen ?? 4;
    const keys = Buffer.allocUnsafe(keyLen * group.length);
    for (let j = 0; j < group.length; j++) {
      const i = group[j] as BanItem;
      this.slab.copy(keys, j * keyLen, i.at, i.at + keyLen);
    }
    return { op, set, keyLen, keys, ...(op === 'add' ? { timeoutsMs: group.map((i) => (i.left === null ? null : i.left * 1000)) } : {}) };
  }
}
