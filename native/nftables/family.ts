/** nftables address families and their NFPROTO_* numbers. */

/** nftables address families. */
export type NftFamily = 'inet' | 'ip' | 'ip6' | 'arp' | 'bridge' | 'netdev';

/** The NFPROTO_* number of each family, as nfnetlink messages carry it. */
export const NFT_FAMILY: Readonly<Record<NftFamily, number>> = { inet: 1, ip: 2, arp: 3, netdev: 5, bridge: 7, ip6: 10 };

/** A table: family and name. */
export interface NftTable {
  readonly family: NftFamily;
  readonly name: string;
}
