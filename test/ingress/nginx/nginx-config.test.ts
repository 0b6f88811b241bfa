import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { checkIngressConfig } from "../../../src/ingress/nginx/nginx-config";
import { formatProblem } from "../../../src/config/problems";
import { clone, exampleSections, hetznerSections, parse1, sshSections } from "../../helpers";

type Json = Record<string, any>;

/** A parsed site with ingress.config set after the rules ran, so that the rule itself can be asked. */
function withUserKeys(raw: Json, keys: Record<string, string>, ingress: Json = {}) {
  const copy = clone(raw);
  copy.ingress = { ...copy.ingress, ...ingress };
  const config = parse1(copy);
  return { ...config, ingress: { ...config.ingress, config: keys } };
}

const lines = (config: Parameters<typeof checkIngressConfig>[0]) => checkIngressConfig(config).map(formatProblem);
const orElse = ", or set ingress.proxyProtocol: false and set all three PROXY protocol keys yourself";

describe("checkIngressConfig", () => {
  it("refuses keys that would replace the PROXY protocol keys, naming value, ours and the fix", () => {
    assert.deepEqual(lines(withUserKeys(hetznerSections(), { "proxy-protocol": "False", "set-real-ip-from": "0.0.0.0/0" })), [
      `ingress.config.proxy-protocol is "False", but k3s-sites sets it to "True" because ingress.proxyProtocol is true: remove ingress.config.proxy-protocol${orElse}`,
      `ingress.config.set-real-ip-from is "0.0.0.0/0", but k3s-sites sets it to "10.0.0.10/32" because ingress.proxyProtocol is true: remove ingress.config.set-real-ip-from${orElse}`,
    ]);
  });

  it("refuses external-status-address on a Hetzner site, whose load balancer's address is known only at deploy time", () => {
    assert.deepEqual(lines(withUserKeys(exampleSections("prod"), { "external-status-address": "203.0.113.9" })), [
      `ingress.config.external-status-address is "203.0.113.9", but k3s-sites sets it to the load balancer's public IPv4 because Ingress status reports the load balancer's address: remove ingress.config.external-status-address`,
    ]);
  });

  it("refuses a key that cannot be a ConfigMap key", () => {
    assert.deepEqual(lines(withUserKeys(sshSections(), { "proxy protocol": "True" })), [
      `ingress.config.proxy protocol "proxy protocol" is not a valid ConfigMap key: use letters, digits, '-', '_' and '.'`,
    ]);
  });

  it("accepts what k3s-sites does not set on the site: a home site's status address, other keys", () => {
    assert.deepEqual(lines(withUserKeys(sshSections(), { "external-status-address": "home.example.com", "real-ip-header": "X-Real-IP" })), []);
    assert.deepEqual(lines(withUserKeys(exampleSections("prod"), { "client-max-body-size": "20m" })), []);
  });

  it("refuses the PROXY protocol keys on a home site only when it turns the PROXY protocol on", () => {
    assert.deepEqual(lines(withUserKeys(sshSections(), { "real-ip-header": "X-Real-IP" }, { proxyProtocol: true })), [
      `ingress.config.real-ip-header is "X-Real-IP", but k3s-sites sets it to "proxy_protocol" because ingress.proxyProtocol is true: remove ingress.config.real-ip-header${orElse}`,
    ]);
  });
});
