import assert from "node:assert/strict";
import { test } from "node:test";
import { CrdValidator } from "./schemas";

const crd = {
  apiVersion: "apiextensions.k8s.io/v1",
  kind: "CustomResourceDefinition",
  spec: {
    group: "example.org",
    names: { kind: "Thing" },
    versions: [
      {
        name: "v1",
        schema: {
          openAPIV3Schema: {
            type: "object",
            properties: {
              spec: {
                type: "object",
                properties: {
                  asNumber: { type: "integer", format: "int32" },
                  cidr: { type: "string", format: "cidr" },
                  at: { type: "string", format: "date-time" },
                  data: { type: "string", format: "byte" },
                  v4: { type: "string", format: "ipv4" },
                  v6: { type: "string", format: "ipv6" },
                },
              },
            },
          },
        },
      },
    ],
  },
};

const thing = (spec: object) => ({ apiVersion: "example.org/v1", kind: "Thing", metadata: { name: "t" }, spec });

test("CRD formats are checked as the API server checks them, without a warning per schema path", (t) => {
  const warn = t.mock.method(console, "warn", () => undefined);
  const crds = new CrdValidator([crd]);
  crds.validate(thing({ asNumber: 64512, cidr: "10.42.0.0/16", at: "2026-12-07T01:58:34Z", data: "aGk=" }));
  crds.validate(thing({ cidr: "fd00:42::/56" }));
  crds.validate(thing({ v4: "192.0.2.10", v6: "2001:db8::10" }));
  assert.throws(() => crds.validate(thing({ asNumber: 2 ** 32 })), /asNumber must match format "int32"/);
  assert.throws(() => crds.validate(thing({ cidr: "10.42.0.0" })), /cidr must match format "cidr"/);
  assert.throws(() => crds.validate(thing({ at: "yesterday" })), /at must match format "date-time"/);
  assert.throws(() => crds.validate(thing({ data: "not base64!" })), /data must match format "byte"/);
  assert.throws(() => crds.validate(thing({ v4: "2001:db8::10" })), /v4 must match format "ipv4"/);
  assert.throws(() => crds.validate(thing({ v4: "10.1" })), /v4 must match format "ipv4"/);
  assert.throws(() => crds.validate(thing({ v6: "192.0.2.10" })), /v6 must match format "ipv6"/);
  assert.throws(() => crds.validate(thing({ v6: "fe80::1%eth0" })), /v6 must match format "ipv6"/);
  assert.equal(warn.mock.callCount(), 0);
});
