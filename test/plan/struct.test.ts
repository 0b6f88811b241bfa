import assert from "node:assert/strict";
import { isDeepStrictEqual } from "node:util";
import { before, describe, it } from "node:test";
import { bottomUpFromJavaScript, structFromJavaScript, structModule, withTopDownStructs } from "../../plan/struct";
import { planOf } from "./run";

/** What the SDK hands Struct.fromJavaScript: every example's resource inputs and stack outputs, and a few shapes. */
const values: unknown[] = [];

/** Both builds of `obj`: the message and what it gives back, or the error each throws. */
function both(obj: unknown) {
  const build = (from: (o: unknown) => ReturnType<typeof bottomUpFromJavaScript>) => {
    try {
      const struct = from(obj);
      return { bytes: Buffer.from(struct.serializeBinary()).toString("hex"), array: struct.toArray(), js: struct.toJavaScript() };
    } catch (error) {
      return { error: (error as Error).message };
    }
  };
  return { topDown: build(structFromJavaScript), bottomUp: build(bottomUpFromJavaScript) };
}

describe("Struct built from the top down (plan/struct.ts)", () => {
  before(async () => {
    for (const stack of ["prod", "home", "lan", "multisite"]) {
      const run = await planOf(stack);
      for (const r of run.resources) values.push(r.rawInputs);
      values.push(run.outputs);
    }
    values.push(
      // A serialized secret, as rpc.js serializeProperty writes one.
      { token: { "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", value: "s3cr3t" } },
      { b: 1, a: { z: [1, "x", null, true, { q: -0 }], y: Number.NaN }, "10": 1, "2": 2, "": [] },
      { deep: [[[{ a: [[]] }]]], when: new Date(0) },
    );
  });

  it("gives the same message as google-protobuf's own: bytes, arrays, values and key order", () => {
    assert.ok(values.length > 200, `only ${values.length} values`);
    for (const value of values) {
      const { topDown, bottomUp } = both(value);
      assert.ok(isDeepStrictEqual(topDown, bottomUp), `differs for ${JSON.stringify(value).slice(0, 200)}`);
      assert.deepEqual(Object.keys(topDown.js as object), Object.keys(bottomUp.js as object));
    }
  });

  it("throws google-protobuf's own error for what a Struct cannot hold", () => {
    for (const value of [{ a: undefined }, { a: [1, , 2] }, { f() {} }, { a: { b: Symbol("s") } }, { a: Buffer.from("x") }, [1]]) {
      const { topDown, bottomUp } = both(value);
      assert.deepEqual(topDown, bottomUp);
    }
    assert.deepEqual(both({ a: undefined }).topDown, { error: "Unexpected struct type." });
  });

  it("syncs each node once: linear in the nodes where google-protobuf's own is quadratic in the depth", () => {
    // google-protobuf 3.21.4's compiled jspb.Message calls its toArray by the minified name `g` inside the library.
    const message = Object.getPrototypeOf(structModule.Value.prototype) as { g: (this: unknown) => unknown };
    const sync = message.g;
    let syncs = 0;
    message.g = function (this: unknown) {
      syncs += 1;
      return sync.call(this);
    };
    try {
      let deep: unknown = { leaf: "x" };
      for (let i = 0; i < 50; i++) deep = { [`k${i}`]: deep, list: [i] };
      const count = (from: (o: unknown) => unknown) => {
        syncs = 0;
        from(deep);
        return syncs;
      };
      const nodes = 50 * 4 + 2;
      assert.ok(count(bottomUpFromJavaScript) > 10 * nodes, "the counted sync is not google-protobuf's: see its name above");
      assert.ok(count(structFromJavaScript) <= 2 * nodes, `${count(structFromJavaScript)} syncs for ${nodes} nodes`);
    } finally {
      message.g = sync;
    }
  });

  it("is in place only for the length of a run, and PLAN_PROTOBUF_STRUCTS=1 keeps google-protobuf's", () => {
    const { Struct } = structModule;
    const found = Struct.fromJavaScript;
    const setting = process.env.PLAN_PROTOBUF_STRUCTS;
    try {
      delete process.env.PLAN_PROTOBUF_STRUCTS;
      const restore = withTopDownStructs();
      assert.equal(Struct.fromJavaScript, structFromJavaScript);
      restore();
      assert.equal(Struct.fromJavaScript, found);
      process.env.PLAN_PROTOBUF_STRUCTS = "1";
      const restoreNone = withTopDownStructs();
      assert.equal(Struct.fromJavaScript, found);
      restoreNone();
    } finally {
      if (setting === undefined) delete process.env.PLAN_PROTOBUF_STRUCTS;
      else process.env.PLAN_PROTOBUF_STRUCTS = setting;
    }
  });
});
