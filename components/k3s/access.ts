/**
 * How the operator and the program reach the cluster once it is up, children of K3sCluster: the admin kubeconfig
 * read from the join server, its two copies, and the Kubernetes provider every in-cluster object uses. Split from
 * cluster.ts for size.
 */
import * as command from "@pulumi/command";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { clientCertificateExpiry } from "../../src/cluster/certificates";
import { apiUrl, programApiHost, rewriteKubeconfig } from "../../src/cluster/kubeconfig";
import type { SiteConfig } from "../../src/config/site";
import { K3S_PATHS } from "../../src/k3s/config";
import { kubeconfigDigestFrom } from "../../src/k3s/script";
import type { NodeAddress } from "./connection";

export interface ClusterAccessArgs {
  readonly config: SiteConfig;
  readonly siteName: string;
  /** The join server's last command of this run (its renewal, or its bootstrap): the kubeconfig is read after it. */
  readonly latest: command.remote.Command;
  readonly joinConnection: command.types.input.remote.ConnectionArgs;
  readonly joinUser: string;
  readonly joinAddress: NodeAddress;
  /** Resolves once every step of every node of this run has succeeded. */
  readonly finished: pulumi.Output<boolean>;
}

export interface ClusterAccess {
  readonly kubeconfig: pulumi.Output<string>;
  readonly kubeconfigExpires: pulumi.Output<string | undefined>;
  readonly provider: k8s.Provider;
}

export function clusterAccess(parent: pulumi.Resource, name: string, args: ClusterAccessArgs): ClusterAccess {
  const { config, latest, joinAddress } = args;
  // Read again whenever the join server reports a different admin kubeconfig (after an upgrade or a renewal, which
  // restart k3s; src/cluster/certificates.ts): the new trigger replaces this read command only (it has no delete),
  // and the provider, whose identity is clusterIdentifier, is updated in place.
  const read = new command.remote.Command(
    `${name}-kubeconfig`,
    {
      connection: args.joinConnection,
      create: `${args.joinUser !== "root" ? "sudo -n " : ""}cat ${K3S_PATHS.kubeconfig}`,
      triggers: [latest.stdout.apply((out) => kubeconfigDigestFrom(out) ?? "")],
      logging: "none",
      addPreviousOutputInEnv: false,
    },
    { parent, dependsOn: [latest], additionalSecretOutputs: ["stdout"] },
  );
  // Not secret: a date. The next run compares it with the clock (src/cluster/certificates.ts, renewalDue).
  const kubeconfigExpires = pulumi.unsecret(
    pulumi.all([read.stdout, args.finished]).apply(([text]) => clientCertificateExpiry(text)),
  );
  const known = pulumi
    .all([pulumi.output(joinAddress.sshHost), pulumi.output(joinAddress.publicAddresses ?? [])])
    .apply(([sshHost, publicAddresses]) => programApiHost(config.site.kind, { sshHost, publicAddresses }));
  // The operator's copy names k3s.apiHost when set (a record they create); the program's own copy uses an address
  // it knows, so that the first run reaches the API before any DNS record exists.
  const kubeconfig = pulumi.secret(
    pulumi
      .all([read.stdout, known])
      .apply(([text, host]) => rewriteKubeconfig(text, apiUrl(config.k3s.apiHost ?? host), args.siteName)),
  );
  const programKubeconfig = pulumi.secret(
    pulumi.all([read.stdout, known]).apply(([text, host]) => rewriteKubeconfig(text, apiUrl(host), args.siteName)),
  );

  const provider = new k8s.Provider(
    `${name}-provider`,
    {
      kubeconfig: programKubeconfig,
      // A refreshed kubeconfig (new endpoint, rotated certificate) updates the provider instead of replacing it,
      // which would replace every Kubernetes object of the site.
      clusterIdentifier: `k3s-sites/${args.siteName}`,
      // deleteUnreachable is left unset, so off: on, any run that cannot reach the API (a refresh from outside
      // k3s-sites' operatorCidrs, a server resize) would drop every Kubernetes object from the state. For the
      // teardown of a cluster that is already gone, set PULUMI_K8S_DELETE_UNREACHABLE=true for that one run:
      // the SDK reads it only when the argument is unset (@pulumi/kubernetes 4.34.2 provider.js, getEnvBoolean),
      // the provider likewise (pulumi-kubernetes provider/pkg/provider/provider.go, deleteUnreachable).
    },
    { parent },
  );
  return { kubeconfig, kubeconfigExpires, provider };
}
