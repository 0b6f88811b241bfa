/**
 * google.protobuf.Struct built from the top down, for the offline plan. Every resource's inputs travel from the SDK to
 * its monitor as a Struct (@pulumi/pulumi 3.248.0 runtime/resource.js: `Struct.fromJavaScript(serializedProps)`), and
 * the mocks answer with another (runtime/mocks.js). google-protobuf 3.21.4's `Struct.fromJavaScript` builds from the
 * leaves up: each `setStructValue`, `setListValue`, `Map.set` and `addValues` syncs the whole subtree already built
 * into its array form (jspb.Message `toArray`), so a manifest nested ten deep is walked ten times. That was 40% of a
 * plan's CPU time.
 *
 * `structFromJavaScript` attaches each Value to its parent while it is still empty and fills it after, so each node is
 * synced once, when the whole Struct is set into its request. The message is the same: the same fields, the same key
 * order, the same bytes (test/plan/struct.test.ts compares both on every example's resources). Anything but plain
 * objects, plain arrays and primitives goes through google-protobuf's own conversion, which also throws its own error
 * for what a Struct cannot hold (undefined, functions).
 */
import { dirname } from "node:path";

/** google-protobuf's Struct, Value and ListValue: the members used here. */
interface Message {
  toArray(): unknown[];
  toJavaScript(): unknown;
  serializeBinary(): Uint8Array;
}
interface ValueMessage extends Message {
  setStructValue(s: StructMessage): void;
  setListValue(l: ListMessage): void;
}
interface StructMessage extends Message {
  getFieldsMap(): { set(key: string, value: ValueMessage): unknown };
}
interface ListMessage extends Message {
  addValues(value: ValueMessage): unknown;
}
interface StructModule {
  Struct: { new (): StructMessage; fromJavaScript(obj: unknown): StructMessage };
  Value: { new (): ValueMessage; fromJavaScript(value: unknown): ValueMessage };
  ListValue: { new (): ListMessage };
}

/** The copy of google-protobuf the Pulumi SDK loads (resolved from @pulumi/pulumi, as its runtime requires it). */
export const structModule: StructModule = require(
  require.resolve("google-protobuf/google/protobuf/struct_pb", { paths: [dirname(require.resolve("@pulumi/pulumi"))] }),
);
const { Struct, Value, ListValue } = structModule;

/** google-protobuf's own conversion, as it was when this module loaded. */
export const bottomUpFromJavaScript: (obj: unknown) => StructMessage = Struct.fromJavaScript;

const isPlainObject = (x: unknown): x is Record<string, unknown> =>
  x !== null && typeof x === "object" && Object.getPrototypeOf(x) === Object.prototype;
const isPlainArray = (x: unknown): x is unknown[] => Array.isArray(x) && Object.getPrototypeOf(x) === Array.prototype;

/** Adds the Value of `x` through `add`, before it holds anything when `x` is a plain object or array. */
function attach(x: unknown, add: (value: ValueMessage) => unknown): void {
  if (isPlainArray(x)) {
    const value = new Value();
    add(value);
    const list = new ListValue();
    value.setListValue(list);
    for (let i = 0; i < x.length; i++) attach(x[i], (item) => list.addValues(item));
  } else if (isPlainObject(x)) {
    const value = new Value();
    add(value);
    const struct = new Struct();
    value.setStructValue(struct);
    fill(struct, x);
  } else {
    add(Value.fromJavaScript(x));
  }
}

/** The fields of `obj`, in the order and by the loop google-protobuf's Struct.fromJavaScript uses (for...in). */
function fill(struct: StructMessage, obj: Record<string, unknown>): void {
  const fields = struct.getFieldsMap();
  for (const key in obj) attach(obj[key], (value) => fields.set(key, value));
}

/** The Struct google-protobuf's `Struct.fromJavaScript(obj)` returns, built with each node synced once. */
export function structFromJavaScript(obj: unknown): StructMessage {
  if (!isPlainObject(obj)) return bottomUpFromJavaScript(obj);
  const struct = new Struct();
  fill(struct, obj);
  return struct;
}

/**
 * For the length of one run: Struct.fromJavaScript builds from the top down. Returns the function that puts back
 * the conversion it found. PLAN_PROTOBUF_STRUCTS=1 keeps google-protobuf's own.
 */
export function withTopDownStructs(): () => void {
  if (process.env.PLAN_PROTOBUF_STRUCTS) return () => {};
  const found = Struct.fromJavaScript;
  Struct.fromJavaScript = structFromJavaScript;
  return () => {
    Struct.fromJavaScript = found;
  };
}
