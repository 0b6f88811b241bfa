/**
 * The policy pack against the offline plan of every example stack: the same rules `pulumi preview --policy-pack
 * policy` runs, on the resources `pulumi up` would register, with the rendered chart objects added (a real preview
 * sees them as the Chart's children).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Secret } from "@pulumi/policy";
import { POLICIES, markCommandSecrets } from "../../policy/pack";
import { DEFAULT_DENY_EXEMPT, SECRET_MARK, TYPES, podTemplatesOf, stackProblems, type PolicyResource } from "../../policy/rules";
import type { ProgramRun } from "../../plan/engine";
import { HELM_SKIP, SITES, siteUnderTest } from "../plan/charts/support";
import { hetznerSections } from "../helpers";
import { ofType, planOf, planOfSections } from "../plan/run";
import { SHAPES, planOfShape, shapeNamed } from "../support/shapes";

function asPolicyResources(run: ProgramRun): PolicyResource[] {
  return run.resources.map((r) => ({ type: r.type, name: r.name, inputs: r.inputs, protect: r.protect === true }));
}

describe("the policy pack on the example stacks", () => {
  for (const name of SITES) {
    it(`finds nothing wrong with ${name}, charts included`, { skip: HELM_SKIP }, async () => {
      const site = await siteUnderTest(name);
      const chartObjects = site.charts.charts.flatMap((c) => c.objects);
      assert.ok(chartObjects.length > 0, "the charts were rendered");
      assert.deepEqual(stackProblems(asPolicyResources(site.run), chartObjects as never), []);
      // The exempt namespaces hold no pod: a chart that starts running one there loses the exemption.
      const exempt = podTemplatesOf(site.all as never).filter((p) =>
        (DEFAULT_DENY_EXEMPT as readonly string[]).includes(p.owner.metadata?.namespace ?? ""),
      );
      assert.deepEqual(exempt.map((p) => p.owner.metadata?.name), []);
      // The exemption is not idle: the Cilium chart (home) creates cilium-secrets.
      if (name === "home") assert.ok(site.all.some((o) => o.kind === "Namespace" && o.metadata.name === "cilium-secrets"));
    });
  }

  it("finds nothing wrong with any example without its charts (no helm needed)", async () => {
    for (const stack of ["prod", "home", "lan", "multisite"]) assert.deepEqual(stackProblems(asPolicyResources(await planOf(stack))), [], stack);
  });

  // Every shape is a valid site, so the pack accepts each; defaultDeny off used to be refused in every namespace.
  for (const shape of SHAPES) {
    it(`finds nothing wrong with the ${shape.name} shape`, async () => {
      assert.deepEqual(stackProblems(asPolicyResources(await planOfShape(shape))), []);
    });
  }

  it("still refuses a namespace the program isolates that lacks its default-deny, naming it", async () => {
    const run = await planOfShape(shapeNamed("hetzner-canal"));
    const withoutDeny = asPolicyResources(run).map((r) =>
      r.type === TYPES.configGroup
        ? { ...r, inputs: { ...r.inputs, objs: (r.inputs.objs as { kind: string; metadata: { namespace?: string; name: string } }[]).filter((o) => !(o.kind === "NetworkPolicy" && o.metadata.namespace === "nginx-ingress" && o.metadata.name === "default-deny")) } }
        : r,
    );
    const refused = stackProblems(withoutDeny).filter((p) => p.includes("nginx-ingress"));
    assert.equal(refused.length, 1);
    assert.match(refused[0]!, /^\[namespaces-default-deny\] namespace nginx-ingress has no default-deny NetworkPolicy/);
    // The prefix is the pack's policy that reports it.
    assert.ok(POLICIES.some((p) => p.name === "namespaces-default-deny"));
    // With defaultDeny off the program labels the namespaces it leaves open, and only those.
    const open = await planOfShape(shapeNamed("hetzner-canal-open"));
    const labelled = ofType(open, "kubernetes:core/v1:Namespace").filter(
      (n) => (n.inputs.metadata as { labels?: Record<string, string> }).labels?.["k3s-sites/default-deny"] === "off",
    );
    assert.deepEqual(labelled.map((n) => (n.inputs.metadata as { name: string }).name).sort(), ["cert-manager", "hcloud-csi", "mail", "web"]);
  });

  it("catches a world-open firewall only when the site does not allow the world", async () => {
    const sections = hetznerSections() as { site: Record<string, unknown> };
    const open = { ...sections, site: { ...sections.site, operatorCidrs: ["0.0.0.0/0", "::/0"], allowWorld: true } };
    const run = await planOfSections(open);
    const firewall = ofType(run, TYPES.firewall)[0]!;
    assert.equal((firewall.inputs.labels as Record<string, string>)["k3s-sites/allow-world"], "true");
    assert.deepEqual(stackProblems(asPolicyResources(run)), []);
    // The same firewall without the site's consent: four problems (22 and 6443, IPv4 and IPv6).
    const labels = { ...(firewall.inputs.labels as Record<string, string>) };
    delete labels["k3s-sites/allow-world"];
    const unmarked = { ...firewall.inputs, labels };
    assert.equal(stackProblems([{ type: firewall.type, name: firewall.name, inputs: unmarked, protect: false }]).length, 4);
  });

  it("sees the program mark every remote command's connection and stdin secret", async () => {
    const run = await planOf("home");
    const commands = ofType(run, TYPES.command);
    assert.ok(commands.length >= 4);
    for (const c of commands) assert.equal(c.inputs.connection, SECRET_MARK, c.name);
    assert.ok(commands.some((c) => c.inputs.stdin === SECRET_MARK));
  });
});

describe("the pack's policies", () => {
  const policy = (name: string) => {
    const found = POLICIES.find((p) => p.name === name);
    if (!found) throw new Error(`no policy ${name}`);
    return found as Record<string, any>;
  };

  it("reports a resource rule's problems through reportViolation", () => {
    const seen: string[] = [];
    policy("no-server-user-data").validateResource({ type: TYPES.server, props: { name: "s", userData: "x" } }, (m: string) => seen.push(m));
    assert.equal(seen.length, 1);
  });

  it("reports a stack rule's problems, reading protect from the resource options", () => {
    const seen: string[] = [];
    const resources = [{ type: TYPES.network, name: "net", props: { deleteProtection: true }, opts: { protect: false } }];
    policy("protected-stays-protected").validateStack({ resources }, (m: string) => seen.push(m));
    assert.deepEqual(seen, ["network net: protect is false but deleteProtection is true: set both from site.protect"]);
  });

  it("remediates a remote command by marking its connection and stdin secret, and leaves other resources alone", () => {
    assert.equal(policy("remote-command-secrets").enforcementLevel, "remediate");
    const out = markCommandSecrets(TYPES.command, { connection: { privateKey: "k" }, stdin: "t", create: "echo" })!;
    assert.ok(out.connection instanceof Secret);
    assert.deepEqual((out.connection as Secret).value, { privateKey: "k" });
    assert.ok(out.stdin instanceof Secret);
    assert.equal(out.create, "echo");
    assert.equal(markCommandSecrets(TYPES.server, { userData: "x" }), undefined);
  });
});
