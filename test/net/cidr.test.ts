import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
  addressAt,
  checkedCidr,
  containsCidr,
  containsIp,
  formatCidr,
  formatIp,
  isCanonical,
  overlaps,
  parseCidr,
  parseIp,
  subnetAt,
  suggestFreeRange,
  type Cidr,
} from "../../src/net/cidr";

const cidr = (text: string) => parseCidr(text) as Cidr;

/** Arbitrary canonical IPv4 ranges. */
const v4Range = fc
  .tuple(fc.integer({ min: 0, max: 2 ** 32 - 1 }), fc.integer({ min: 0, max: 32 }))
  .map(([n, prefix]) => {
    const network = (BigInt(n) >> BigInt(32 - prefix)) << BigInt(32 - prefix);
    return { version: 4, base: network, network, prefix } as Cidr;
  });

describe("parseCidr", () => {
  it("reads IPv4 and IPv6 ranges", () => {
    assert.equal(formatCidr(cidr("10.42.0.0/16")), "10.42.0.0/16");
    assert.equal(formatCidr(cidr("fd00:42::/56")), "fd00:42::/56");
  });

  it("refuses shorthand addresses, bad prefixes and missing slashes", () => {
    for (const text of ["10.1/16", "10.0.0.0/33", "10.0.0.0", "fd00::/129", "10.0.0.0/-1", "x/8"]) {
      assert.equal(parseCidr(text), undefined, text);
    }
  });

  it("gives a checked range as a CIDR, and throws naming text that is not one", () => {
    assert.deepEqual(checkedCidr("10.43.0.0/16"), parseCidr("10.43.0.0/16"));
    assert.throws(() => checkedCidr("10.43.0.0"), /^Error: "10.43.0.0" is not a CIDR$/);
  });

  it("keeps host bits visible for the 'did you mean' hint", () => {
    const c = cidr("10.42.0.1/16");
    assert.equal(isCanonical(c), false);
    assert.equal(formatCidr(c), "10.42.0.0/16");
  });
});

describe("overlaps and contains", () => {
  it("sees nested and equal ranges as overlapping, neighbours as not", () => {
    assert.equal(overlaps(cidr("10.0.0.0/8"), cidr("10.42.0.0/16")), true);
    assert.equal(overlaps(cidr("10.42.0.0/16"), cidr("10.43.0.0/16")), false);
    assert.equal(overlaps(cidr("10.0.0.0/8"), cidr("fd00::/8")), false);
    assert.equal(containsCidr(cidr("10.0.0.0/8"), cidr("10.42.0.0/16")), true);
    assert.equal(containsCidr(cidr("10.42.0.0/16"), cidr("10.0.0.0/8")), false);
    assert.equal(containsIp(cidr("10.43.0.0/16"), parseIp("10.43.0.10")!), true);
    assert.equal(containsIp(cidr("10.43.0.0/16"), parseIp("10.44.0.10")!), false);
  });

  it("overlap is symmetric and equals 'one contains the other' (property)", () => {
    fc.assert(
      fc.property(v4Range, v4Range, (a, b) => {
        assert.equal(overlaps(a, b), overlaps(b, a));
        assert.equal(overlaps(a, b), containsCidr(a, b) || containsCidr(b, a));
      }),
    );
  });

  it("every sub-range lies inside its parent and siblings are disjoint (property)", () => {
    fc.assert(
      fc.property(
        v4Range.filter((r) => r.prefix <= 28),
        fc.integer({ min: 0, max: 4 }),
        fc.nat(),
        fc.nat(),
        (parent, extra, i, j) => {
          const prefix = parent.prefix + extra;
          const count = 2 ** extra;
          const a = subnetAt(parent, prefix, i % count);
          const b = subnetAt(parent, prefix, j % count);
          assert.ok(containsCidr(parent, a));
          assert.equal(overlaps(a, b), i % count === j % count);
        },
      ),
    );
  });
});

describe("addresses", () => {
  it("counts from the network address", () => {
    assert.equal(formatIp(addressAt(cidr("10.43.0.0/16"), 10n)), "10.43.0.10");
    assert.equal(formatIp(addressAt(cidr("fd00:43::/112"), 10n)), "fd00:43::a");
    assert.throws(() => addressAt(cidr("10.0.0.0/30"), 4n), /outside 10.0.0.0\/30/);
  });
});

describe("suggestFreeRange", () => {
  it("offers the next free range of the same size", () => {
    const taken = [cidr("10.42.0.0/16"), cidr("10.0.0.0/16")];
    assert.equal(formatCidr(suggestFreeRange(cidr("10.42.0.0/16"), taken)!), "10.43.0.0/16");
  });

  it("never suggests a taken range (property)", () => {
    fc.assert(
      fc.property(fc.array(v4Range.filter((r) => r.prefix >= 12), { maxLength: 6 }), fc.integer({ min: 12, max: 24 }), (taken, prefix) => {
        const wanted = subnetAt(cidr("10.0.0.0/8"), prefix, 0);
        const free = suggestFreeRange(wanted, taken);
        if (free) {
          assert.equal(free.prefix, prefix);
          assert.ok(taken.every((t) => !overlaps(t, free)));
        }
      }),
    );
  });
});
