/**
 * The kubeconfig k3s writes on a server points at 127.0.0.1 and names everything "default". The operator needs it
 * to point at an address they reach, under the site's name, so that several sites merge into one ~/.kube/config.
 */
import { parse, stringify } from "yaml";
import { API_PORT } from "../hetzner/model";

interface Named<T> {
  name: string;
  [key: string]: unknown;
  cluster?: T;
}

/** `https://host:6443`, with IPv6 addresses in brackets. */
export function apiUrl(host: string, port = API_PORT): string {
  return `https://${host.includes(":") ? `[${host}]` : host}:${port}`;
}

/**
 * The host the program itself reaches the API on, known as soon as the first server exists: a Hetzner server's
 * first public address (its IPv4, or its IPv6 when site.publicIpv4 is false), a home server's SSH address. Never
 * k3s.apiHost: that name's record is the operator's to create, and a first run would fail until it resolves.
 */
export function programApiHost(
  kind: "hetzner" | "ssh",
  first: { readonly sshHost: string; readonly publicAddresses: readonly string[] },
): string {
  if (kind === "ssh") return first.sshHost;
  const address = first.publicAddresses.find((a) => a !== "");
  if (!address) throw new Error("the first server has no public address for the program to reach the Kubernetes API on");
  return address;
}

/**
 * Rewrites the server URL to `endpoint` and renames the cluster, user and context to `name`. Throws when the text
 * is not a kubeconfig with exactly one cluster, user and context (what k3s writes).
 */
export function rewriteKubeconfig(text: string, endpoint: string, name: string): string {
  const doc = parse(text) as {
    clusters?: Named<{ server?: string }>[];
    users?: Named<unknown>[];
    contexts?: Named<unknown>[] & { context?: { cluster?: string; user?: string } }[];
    "current-context"?: string;
  } | null;
  const [cluster] = doc?.clusters ?? [];
  const [user] = doc?.users ?? [];
  const [context] = doc?.contexts ?? [];
  if (!doc || !cluster?.cluster || !user || !context || doc.clusters!.length !== 1 || doc.contexts!.length !== 1) {
    throw new Error("the kubeconfig read from the first server is not the single-cluster file k3s writes");
  }
  cluster.name = name;
  cluster.cluster.server = endpoint;
  user.name = name;
  context.name = name;
  (context as { context?: { cluster?: string; user?: string } }).context = {
    ...((context as { context?: object }).context ?? {}),
    cluster: name,
    user: name,
  };
  doc["current-context"] = name;
  return stringify(doc);
}
