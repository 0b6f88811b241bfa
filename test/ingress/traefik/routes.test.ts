import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, it } from "node:test";
import { tcpRoutes } from "../../../src/ingress/traefik/routes";
import { exampleSections, parse1, ROOT } from "../../helpers";
import { CrdValidator } from "../../support/schemas";

const crds = CrdValidator.fromFiles(join(ROOT, "upstream/charts/traefik/41.3.0/crds/traefik.io_ingressroutetcps.yaml"));

describe("IngressRouteTCP from an extra TCP port to an app", () => {
  it("routes any connection on the entry point to the app's Service, and fits the chart's CRD", () => {
    const routes = tcpRoutes(parse1(exampleSections("prod")), {
      tcpRoutes: [{ entryPoint: "smtp", namespace: "mail", service: "postfix", port: 25 }],
    });
    assert.equal(routes.length, 1);
    for (const r of routes) crds.validate(r as never);
    assert.deepEqual(routes[0]!.metadata, { name: "smtp-postfix", namespace: "mail", labels: { "app.kubernetes.io/part-of": "k3s-sites" } });
    assert.deepEqual(routes[0]!.spec, { entryPoints: ["smtp"], routes: [{ match: "HostSNI(`*`)", services: [{ name: "postfix", port: 25 }] }] });
  });

  it("the CRD refuses a route without a service (the validator can fail)", () => {
    const [route] = tcpRoutes(parse1(exampleSections("prod")), { tcpRoutes: [{ entryPoint: "smtp", namespace: "mail", service: "postfix", port: 25 }] });
    const broken = { ...route!, spec: { entryPoints: ["smtp"] } };
    assert.throws(() => crds.validate(broken as never), /routes/);
  });
});
