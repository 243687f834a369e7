import { describe, expect, it } from 'vitest';
import { dumpRuleset, Nftables, NftError } from '../../src/kernel/nftables/index.js';

const BASE = `add table ip t
add chain ip t a
add chain ip t b
add map ip t m { type ipv4_addr . inet_proto . inet_service : verdict ; }
add element ip t m { 1.2.3.4 . tcp . 80 : goto a }
`;

/** nft_add_set_elem: an `add element` whose key is there already. */
describe('nftables: adding a map element whose key exists', () => {
  it('with the same verdict is a no-op, as nft add is', () => {
    const nft = new Nftables();
    nft.load(`${BASE}add element ip t m { 1.2.3.4 . tcp . 80 : goto a }\n`);
    expect(dumpRuleset(nft)).toContain('1.2.3.4 . tcp . 80 : goto a');
  });

  it('with another verdict fails the whole transaction with File exists (err_element_clash)', () => {
    const nft = new Nftables();
    let err: unknown;
    try {
      nft.load(`${BASE}add element ip t m { 1.2.3.4 . tcp . 80 : goto b }\n`);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(NftError);
    expect((err as Error).message).toContain('File exists');
    // Nothing of the transaction stays: not even the table.
    expect(dumpRuleset(nft)).not.toContain('table ip t');
  });
});
