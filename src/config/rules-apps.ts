/**
 * Cross-field rules on the declared apps (networkPolicies): namespaces, selectors and the traffic they declare.
 */
import { containsCidr, parseCidr } from "../net/cidr";
import { clusterRanges, type ClusterRangeKind } from "../net/ranges";
import { type Problem } from "./problems";
import { CONCERNS } from "../concerns/registry";
import type { SiteConfig } from "./site";

/**
 * Namespaces no app may live in, with what each is: k3s's own, where a default-deny would cut off CoreDNS and the CNI,
 * and every registered concern's managed namespaces (policies.namespaces), whose policies k3s-sites writes itself.
 * Those of concerns the site does not use too: switching ingress controllers deletes the old one's namespace.
 */
function reservedNamespaces(config: SiteConfig): ReadonlyMap<string, string> {
  const reserved = new Map<string, string>([
    ["kube-system", "k3s's own namespace (CoreDNS, the CNI, metrics-server)"],
    ["kube-public", "a namespace Kubernetes reserves"],
    ["kube-node-lease", "a namespace Kubernetes reserves"],
  ]);
  for (const concern of CONCERNS) {
    const owner = concern.kind === "ingress" ? "the ingress controller's namespace" : `${concern.name}'s namespace`;
    for (const namespace of concern.policies.namespaces(config)) if (!reserved.has(namespace)) reserved.set(namespace, owner);
  }
  return reserved;
}

function showLabels(labels: Readonly<Record<string, string>>): string {
  return `{${Object.entries(labels)
    .map(([k, v]) => `${k}: ${v}`)
    .join(", ")}}`;
}

/**
 * Two selectors can pick the same pod unless they require different values of one label. Apps in one namespace must
 * not, or one app's policy would also open or close the other's pods.
 */
export function selectorsDisjoint(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  return Object.entries(a).some(([key, value]) => key in b && b[key] !== value);
}

/**
 * Declared app traffic refers to apps that exist, on ports they declare, and both ends agree: a call needs the
 * caller's `to` and the callee's `from`, since each end's policy stops it otherwise.
 */
export function checkApps(config: SiteConfig): Problem[] {
  const apps = config.networkPolicies.apps;
  const at = (i: number): string => `networkPolicies.apps[${i}]`;
  const problems: Problem[] = [];
  const byName = new Map<string, number>();
  apps.forEach((app, i) => {
    const first = byName.get(app.name);
    if (first !== undefined) {
      problems.push({ path: `${at(i)}.name`, message: `"${app.name}" is also the name of ${at(first)}: app names must be unique` });
    } else byName.set(app.name, i);
  });
  const unknown = (path: string, name: string): Problem => ({
    path,
    message: `"${name}" is not a declared app: declare it under networkPolicies.apps, or fix the name`,
  });
  const why: Partial<Record<ClusterRangeKind, string>> = {
    pods: "pod addresses change whenever a pod restarts; declare those pods as an app and name it",
    services: "policies see a Service's pods, after its address is translated, so nothing ever matches it; name the app behind the Service instead",
  };
  const checkCidr = (path: string, text: string): void => {
    const cidr = parseCidr(text);
    if (!cidr) return; // the schema reports it
    for (const range of clusterRanges(config)) {
      const reason = why[range.kind];
      if (reason !== undefined && containsCidr(range.cidr, cidr)) {
        problems.push({ path, message: `${text} lies inside ${range.path} ${range.text}: ${reason}` });
        return;
      }
    }
  };

  const reservedAll = reservedNamespaces(config);
  apps.forEach((app, i) => {
    const reserved = reservedAll.get(app.namespace);
    if (reserved) {
      problems.push({
        path: `${at(i)}.namespace`,
        message: `"${app.namespace}" is ${reserved}, whose policies k3s-sites writes itself: put the app in a namespace of its own, e.g. ${app.name}`,
      });
    }
    const ports = new Map<string, number>();
    app.ports.forEach((p, j) => {
      const key = `${p.port}/${p.protocol}`;
      const first = ports.get(key);
      if (first !== undefined) {
        problems.push({ path: `${at(i)}.ports[${j}]`, message: `${key} is also ${at(i)}.ports[${first}]: declare each port once` });
      } else ports.set(key, j);
    });
    if (app.from.length > 0 && app.ports.length === 0) {
      problems.push({
        path: `${at(i)}.ports`,
        message: "is empty, but from lists callers: declare the ports they call, e.g. [{port: 8080}]",
      });
    }
    apps.slice(0, i).forEach((other, k) => {
      if (other.namespace !== app.namespace || selectorsDisjoint(app.podSelector, other.podSelector)) return;
      problems.push({
        path: `${at(i)}.podSelector`,
        message:
          `${showLabels(app.podSelector)} can select the pods of ${at(k)} (${other.name}, ${showLabels(other.podSelector)}) ` +
          `in namespace ${app.namespace}, and each app's policy would apply to both: give the two apps different values ` +
          `of one label, e.g. app: ${app.name} and app: ${other.name}`,
      });
    });

    app.from.forEach((peer, j) => {
      const path = `${at(i)}.from[${j}]`;
      if (peer.app !== undefined) {
        const k = byName.get(peer.app);
        if (k === undefined) problems.push(unknown(`${path}.app`, peer.app));
        else if (!apps[k]!.to.some((t) => t.app === app.name)) {
          problems.push({
            path: `${path}.app`,
            message: `"${peer.app}" does not list "${app.name}" under to, so its own policy stops the call: add {app: ${app.name}} to ${at(k)}.to, or remove this entry`,
          });
        }
      }
      if (peer.loadBalancer && config.site.kind !== "hetzner") {
        problems.push({
          path: `${path}.loadBalancer`,
          message:
            "is for hetzner sites, whose load balancer forwards from its private address; on this site traffic comes " +
            `from the clients themselves: list them as cidr, e.g. ${config.nodeCidr} (the LAN) or 0.0.0.0/0 (anyone)`,
        });
      }
      if (peer.cidr !== undefined) checkCidr(`${path}.cidr`, peer.cidr);
    });

    app.to.forEach((peer, j) => {
      const path = `${at(i)}.to[${j}]`;
      if (peer.app !== undefined) {
        const k = byName.get(peer.app);
        if (k === undefined) problems.push(unknown(`${path}.app`, peer.app));
        else {
          const target = apps[k]!;
          if (!target.from.some((f) => f.app === app.name)) {
            problems.push({
              path: `${path}.app`,
              message: `"${peer.app}" does not accept calls from "${app.name}": add {app: ${app.name}} to ${at(k)}.from, or remove this entry`,
            });
          }
          const declared = target.ports.map((p) => `${p.port}/${p.protocol}`);
          peer.ports?.forEach((p, m) => {
            if (declared.includes(`${p.port}/${p.protocol}`)) return;
            problems.push({
              path: `${path}.ports[${m}]`,
              message:
                `${p.port}/${p.protocol} is not a port of app "${target.name}", which declares ` +
                `${declared.length > 0 ? declared.join(", ") : "none"}: use one of those, or add it to ${at(k)}.ports`,
            });
          });
        }
      }
      if (peer.cidr !== undefined) {
        if (peer.ports === undefined) {
          problems.push({
            path: `${path}.ports`,
            message: `is required with cidr: list the ports ${app.name} calls at ${peer.cidr}, e.g. [{port: 587}]`,
          });
        }
        checkCidr(`${path}.cidr`, peer.cidr);
      }
      if (peer.dns && peer.ports !== undefined) {
        problems.push({
          path: `${path}.ports`,
          message: "does not apply to dns, which is always port 53 over UDP and TCP: remove it",
        });
      }
    });
  });
  return problems;
}
