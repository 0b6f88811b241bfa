import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { stackFileJsonSchema } from "../../src/config/json-schema";

describe("stack file JSON Schema", () => {
  const schema = stackFileJsonSchema() as any;
  const config = schema.properties.config;

  it("describes every k3s-sites section and the secrets as encrypted values", () => {
    assert.deepEqual(Object.keys(config.properties).sort(), [
      "hcloud:token",
      "k3s-sites:bgpPassword",
      "k3s-sites:certificates",
      "k3s-sites:cni",
      "k3s-sites:dnsApiToken",
      "k3s-sites:etcdS3AccessKey",
      "k3s-sites:etcdS3SecretKey",
      "k3s-sites:ingress",
      "k3s-sites:k3s",
      "k3s-sites:networkPolicies",
      "k3s-sites:networks",
      "k3s-sites:rfc2136TsigSecret",
      "k3s-sites:route53SecretAccessKey",
      "k3s-sites:site",
      "k3s-sites:sshPrivateKey",
      "k3s-sites:storage",
      "k3s-sites:verify",
      "k3s-sites:volumeEncryptionPassphrase",
    ]);
    assert.deepEqual(config.properties["hcloud:token"].required, ["secure"]);
    assert.deepEqual(config.required, ["k3s-sites:site", "k3s-sites:k3s"]);
  });

  it("refuses unknown k3s-sites keys but leaves other namespaces free", () => {
    const [known, other] = config.propertyNames.anyOf;
    assert.ok(known.enum.includes("k3s-sites:site"));
    assert.equal(known.enum.includes("hcloud:token"), false);
    assert.deepEqual(other, { not: { pattern: "^k3s-sites:" } });
  });

  it("keeps the defaults users rely on", () => {
    const k3s = config.properties["k3s-sites:k3s"].properties;
    assert.equal(k3s.clusterCidr.default, "10.42.0.0/16");
    assert.equal(k3s.serviceCidr.default, "10.43.0.0/16");
    assert.equal(k3s.secretsEncryption.default, true);
  });
});
