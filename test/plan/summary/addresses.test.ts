/** Addresses that are not real ones are labelled in the plan summary. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { AddressMarks, isDocumentationAddress } from "../../../plan/summary/addresses";

describe("placeholder addresses", () => {
  it("knows the documentation ranges of RFC 5737 and RFC 3849, addresses and CIDRs", () => {
    for (const a of ["192.0.2.1", "198.51.100.94", "203.0.113.7/32", "2001:db8:1234::/48", "2001:db8::1"]) {
      assert.equal(isDocumentationAddress(a), true, a);
    }
    for (const a of ["192.0.3.1", "10.0.0.1", "203.0.112.0/23", "2001:db9::1", "2001:db8::/31", "0.0.0.0/0", "not an address"]) {
      assert.equal(isDocumentationAddress(a), false, a);
    }
  });

  it("marks a documentation address of the stack file, every address Hetzner assigns, and prints the legend of the marks used", () => {
    const marks = new AddressMarks();
    assert.equal(marks.config("192.168.1.10"), "192.168.1.10");
    assert.deepEqual(marks.legend(), []);
    assert.equal(marks.config("203.0.113.7/32"), "203.0.113.7/32 (example)");
    assert.equal(marks.assigned("198.51.100.94"), "198.51.100.94 (placeholder)");
    assert.deepEqual(marks.legend(), [
      "  (example): an address from a documentation range (RFC 5737, RFC 3849) in the stack file: put your own there",
      "  (placeholder): made up by the offline plan; Hetzner assigns the real address on pulumi up",
    ]);
  });
});
