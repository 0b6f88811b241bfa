import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { formatProblem } from "../../../src/config/problems";
import { traefikProblems } from "../../../src/ingress/traefik/rules";
import { clone, exampleSections, parse1, sshSections } from "../../helpers";

const problems = (raw: Record<string, unknown>, tcp: { entryPoint: string; namespace: string; service: string; port: number }[] = []) =>
  traefikProblems(parse1(raw), { tcpRoutes: tcp }).map(formatProblem);

describe("Traefik's rules", () => {
  it("accepts the prod site's mail ports as entry points with routes to them", () => {
    assert.deepEqual(problems(exampleSections("prod"), [{ entryPoint: "imaps", namespace: "mail", service: "dovecot", port: 993 }]), []);
  });

  it("refuses a TCP route on an entry point the site does not have", () => {
    assert.deepEqual(problems(exampleSections("prod"), [{ entryPoint: "pop3", namespace: "mail", service: "dovecot", port: 110 }]), [
      'ingress.traefik.tcpRoutes[0].entryPoint "pop3" is not an extra TCP port of the site (site.loadBalancer.services: smtp, submissions, submission, imaps); name one of them, or add it to site.loadBalancer.services',
    ]);
    assert.deepEqual(problems(sshSections(), [{ entryPoint: "smtp", namespace: "mail", service: "postfix", port: 25 }]), [
      'ingress.traefik.tcpRoutes[0].entryPoint "smtp" is not an extra TCP port of the site (site.loadBalancer.services lists none); name one of them, or add it to site.loadBalancer.services',
    ]);
  });

  it("refuses a load balancer service named like one of Traefik's own entry points", () => {
    const raw = clone(exampleSections("prod")) as any;
    raw.site.loadBalancer.services[0].name = "metrics";
    assert.deepEqual(problems(raw), [
      'site.loadBalancer.services[0].name "metrics" is the name of one of Traefik\'s own entry points (web, websecure, metrics, traefik); choose another name, e.g. metrics-tcp',
    ]);
  });

  it("refuses ingress.config, which is nginx's ConfigMap", () => {
    assert.deepEqual(problems({ ...sshSections(), ingress: { config: { "proxy-read-timeout": "60s" } } }), [
      `ingress.config.proxy-read-timeout "60s": ingress.config holds keys of nginx's ConfigMap, and ingress.controller is traefik; remove it (Traefik's options go on IngressRoutes and Middlewares)`,
    ]);
  });
});
