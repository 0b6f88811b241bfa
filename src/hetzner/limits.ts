/**
 * Hetzner's limits, checked before anything is created: what a load-balancer type holds, how many servers one
 * network takes, how many placement groups a project has, which server types can be ordered, and how long the API
 * budget makes a run. Problems refuse the site; warnings are printed and the run goes on.
 */
import { closest } from "../config/near";
import type { Problem } from "../config/problems";
import type { SiteConfig } from "../config/site";
import { pollSettingsOf, serverCreateCalls, total } from "./api-calls";
import { HCLOUD_POLL, PLACEMENT_GROUP_LIMIT } from "./model";
import { LOAD_BALANCER_TYPES, SERVER_TYPES, loadBalancerType, orderableAlternative, orderableTypes, serverType, TYPES_READ_ON } from "./types";

/** Servers one Hetzner network holds (docs.hetzner.com/cloud/networks/overview). */
export const SERVERS_PER_NETWORK = 100;
/** Placement groups one Hetzner project holds (docs.hetzner.com/cloud/placement-groups/overview). */
export const PLACEMENT_GROUPS_PER_PROJECT = 50;
/**
 * Hetzner's API budget per project: a bucket of 3,600 requests, refilled at one per second (docs.hetzner.cloud,
 * "Rate Limiting").
 */
export const API_BUCKET = 3600; // requests
export const API_REFILL_PER_SECOND = 1; // requests
/**
 * Requests a new server costs through @pulumi/hcloud's Terraform provider, at most (a protected control-plane server
 * in a placement group), with the poll settings the program gives the provider: counted call by call from the
 * provider's code in api-calls.ts (terraform-provider-hcloud v1.68.0 internal/server/resource.go, hcloud-go v2.47.0).
 */
export const API_REQUESTS_PER_SERVER = total(
  serverCreateCalls({ protect: true, placementGroup: true, network: true, sshKeys: 1 }, pollSettingsOf(HCLOUD_POLL)),
).requests;
/**
 * Every other Hetzner object (network, subnet, route, key, firewall, group, load balancer and its parts): assumed
 * three (the create, one action poll, the read), not counted from the provider's code; servers dominate the total.
 */
export const API_REQUESTS_PER_OBJECT = 3;

/** How many placement groups the site creates: one per started ten nodes of each pool. */
export function placementGroupCount(config: Pick<SiteConfig, "site">): number {
  if (config.site.kind !== "hetzner") return 0;
  return config.site.pools.reduce((sum, p) => sum + Math.ceil(p.count / PLACEMENT_GROUP_LIMIT), 0);
}

function serverCount(config: Pick<SiteConfig, "site">): number {
  return config.site.kind === "hetzner" ? config.site.pools.reduce((sum, p) => sum + p.count, 0) : 0;
}

/** Hetzner's hard limits: a site that breaks one fails half-way through its first `pulumi up`. */
export function checkHetznerLimits(config: SiteConfig): Problem[] {
  if (config.site.kind !== "hetzner") return [];
  const site = config.site;
  const problems: Problem[] = [];

  // The NAT server is a server of the network too. The load balancer takes an address in the network but is not a
  // server: Hetzner states this limit for servers, and load balancers have their own (per project).
  const servers = serverCount(config);
  const inNetwork = servers + (site.network.natGateway === undefined ? 0 : 1);
  if (inNetwork > SERVERS_PER_NETWORK) {
    problems.push({
      path: "site.pools",
      message:
        `ask for ${servers} servers${site.network.natGateway === undefined ? "" : " and the NAT server (site.network.natGateway)"}, ` +
        `${inNetwork} in the site's network: a Hetzner network holds at most ${SERVERS_PER_NETWORK} servers ` +
        `(docs.hetzner.com/cloud/networks/overview). Lower the pools' counts to ${SERVERS_PER_NETWORK} servers in all, or split the ` +
        `site into two stacks`,
    });
  }

  const groups = placementGroupCount(config);
  if (groups > PLACEMENT_GROUPS_PER_PROJECT) {
    problems.push({
      path: "site.pools",
      message:
        `need ${groups} spread placement groups (one per ${PLACEMENT_GROUP_LIMIT} nodes of each pool): a Hetzner project holds ` +
        `at most ${PLACEMENT_GROUPS_PER_PROJECT} (docs.hetzner.com/cloud/placement-groups/overview), shared with every other site ` +
        `in it. Use fewer, larger pools, or a second Hetzner project for another site`,
    });
  }

  const lb = site.loadBalancer;
  const services = 2 + lb.services.length; // 80 and 443, then the configured ports
  const type = loadBalancerType(lb.type);
  if (!type) {
    problems.push({
      path: "site.loadBalancer.type",
      message: `"${lb.type}" is not a Hetzner load balancer type k3s-sites knows: use one of ${LOAD_BALANCER_TYPES.map((t) => t.name).join(", ")}`,
    });
  } else {
    const fits = LOAD_BALANCER_TYPES.find((t) => t.services >= services && t.targets >= servers);
    const suggestion = fits ? `set site.loadBalancer.type: ${fits.name} (${fits.services} services, ${fits.targets} targets)` : "split the site";
    if (services > type.services) {
      problems.push({
        path: "site.loadBalancer.type",
        message:
          `${lb.type} has at most ${type.services} services, and the site asks for ${services} (80 and 443, plus the ` +
          `${lb.services.length} of site.loadBalancer.services): ${suggestion}, or forward fewer ports`,
      });
    }
    if (servers > type.targets) {
      problems.push({
        path: "site.loadBalancer.type",
        message:
          `${lb.type} has at most ${type.targets} targets, and the site's label selector matches its ${servers} servers ` +
          `(each counts): ${suggestion}`,
      });
    }
  }
  return problems;
}

/**
 * What does not stop a run but the user should know before it: types Hetzner no longer sells, a slow run.
 * `perServer`: requests a server costs (the site's polling by default).
 */
export function hetznerWarnings(config: Pick<SiteConfig, "site">, perServer = API_REQUESTS_PER_SERVER): string[] {
  if (config.site.kind !== "hetzner") return [];
  const site = config.site;
  const warnings: string[] = [];
  site.pools.forEach((pool, i) => {
    const type = serverType(pool.serverType);
    const key = `site.pools[${i}].serverType`;
    const arch = type?.arch ?? (pool.serverType.startsWith("cax") ? "arm64" : "amd64");
    const alternative = orderableAlternative(pool.serverType, arch) ?? orderableAlternative(pool.serverType, "amd64");
    const instead = alternative
      ? `choose an orderable type such as ${alternative.name} (${alternative.arch}, ${alternative.cores} vCPU, ${alternative.memory} GB)` +
        (alternative.arch === arch ? "" : `: no ${arch} type can be ordered now, and the pool's nodes become ${alternative.arch}`)
      : `choose an orderable type, though none is as large (${type?.cores ?? "?"} vCPU, ${type?.memory ?? "?"} GB): ${orderableTypes().join(", ")}`;
    if (!type) {
      const near = closest(pool.serverType, SERVER_TYPES.map((t) => t.name));
      warnings.push(
        `${key} ${pool.serverType} is not in k3s-sites' table of Hetzner server types (read ${TYPES_READ_ON}): ` +
          (near ? `did you mean ${near}? ` : "") +
          `check that Hetzner sells it in ${site.location} before pulumi up; the types that can be ordered now are ` +
          orderableTypes().join(", "),
      );
    } else if (type.status !== "orderable" && pool.count > 0) {
      // The sources of each status are in src/hetzner/types.ts, kept out of the message.
      const what = type.status === "retired" ? "is retired" : "cannot be ordered now";
      warnings.push(
        `${key} ${pool.serverType} ${what} (Hetzner's plans as of ${TYPES_READ_ON}${type.note ? `: ${type.note}` : ""}): servers that exist keep running, but Hetzner refuses new ` +
          `ones, so a new site or node of pool ${pool.name} fails; ${instead}`,
      );
    }
  });
  const lbType = loadBalancerType(site.loadBalancer.type);
  if (lbType && !lbType.verified) {
    warnings.push(
      `site.loadBalancer.type ${lbType.name}: its limits (${lbType.services} services, ${lbType.targets} targets) are ` +
        `not from Hetzner's own data; check them before pulumi up`,
    );
  }
  const estimate = apiRequestEstimate(config, perServer);
  if (estimate.requests > API_BUCKET / 2) {
    const minutes = Math.ceil(estimate.requests / API_REFILL_PER_SECOND / 60);
    const overBucket = Math.max(0, estimate.requests - API_BUCKET);
    warnings.push(
      `creating this site takes about ${estimate.requests} Hetzner API requests (${perServer} per server for ` +
        `${estimate.servers} servers, ${API_REQUESTS_PER_OBJECT} for each of ${estimate.objects} other objects; estimated from ` +
        `the Terraform provider behind @pulumi/hcloud). The project's budget is ${API_BUCKET} requests, refilled at ` +
        `${API_REFILL_PER_SECOND} per second: ` +
        (overBucket > 0
          ? `even from a full bucket the run waits about ${Math.ceil(overBucket / 60)} minutes for the refill`
          : `it fits a full bucket, but if other runs or tools share the project's token budget the run may wait up to about ${minutes} minutes`) +
        `. Create the site in steps (lower pool counts first) to keep runs short`,
    );
  }
  return warnings;
}

/** The Hetzner API requests a first `pulumi up` of the site makes, estimated per object. */
export function apiRequestEstimate(
  config: Pick<SiteConfig, "site">,
  perServer = API_REQUESTS_PER_SERVER,
): { servers: number; objects: number; requests: number } {
  if (config.site.kind !== "hetzner") return { servers: 0, objects: 0, requests: 0 };
  const site = config.site;
  const servers = serverCount(config);
  const objects =
    1 + // network
    1 + site.plan.subnets.length + // edge subnet and one per pool
    (site.network.natGateway === undefined ? 0 : 1) +
    2 + // SSH key (or its lookup), firewall
    placementGroupCount(config) +
    3 + // load balancer, its network attachment, its target
    2 + site.loadBalancer.services.length;
  return { servers, objects, requests: servers * perServer + objects * API_REQUESTS_PER_OBJECT };
}
