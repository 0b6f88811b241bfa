import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ingressOf } from "../../src/concerns/registry";
import type { SiteConfig } from "../../src/config/site";
import {
  CERT_MANAGER_CHART,
  HETZNER_WEBHOOK,
  certManagerHookOverrides,
  certManagerValues,
  clusterIssuers,
  dnsSecretName,
  dnsSecretObjects,
  hetznerWebhookValues,
  usesHetznerWebhook,
} from "../../src/certificates/cert-manager/cert-manager";
import { CERT_MANAGER } from "../../src/edge/names";
import { isolationLabels } from "../../src/policy/objects";
import { TYPE } from "../../src/type-tokens";

export interface CertManagerArgs {
  readonly config: SiteConfig;
  /** The site's Kubernetes provider. */
  readonly provider: k8s.Provider;
  /**
   * The DNS provider's API secret (a Pulumi secret), when certificates.dns01 is set.
   * @default - none: challenges over HTTP-01
   */
  readonly dnsSecret?: pulumi.Input<string>;
  /** What must exist first: the CNI. */
  readonly dependsOn: pulumi.Input<pulumi.Resource>[];
}

/**
 * cert-manager from the jetstack chart with its CRDs, Hetzner's DNS webhook where DNS-01 goes through Hetzner, the
 * DNS provider's token as a Kubernetes Secret, and the Let's Encrypt ClusterIssuers, which wait for the CRDs and the
 * webhook: the charts are awaited until their deployments are ready and cert-manager's startupapicheck Job has seen
 * the webhook answer.
 */
export class CertManager extends pulumi.ComponentResource {
  constructor(name: string, args: CertManagerArgs, opts?: pulumi.ComponentResourceOptions) {
    super(TYPE.certManager, name, {}, opts);
    const { config } = args;
    // HTTP-01 goes through the site's ingress controller, whichever it is.
    const ingress = ingressOf(config);
    const child = { parent: this, provider: args.provider };

    const namespace = new k8s.core.v1.Namespace(
      `${name}-namespace`,
      { metadata: { name: CERT_MANAGER.namespace, labels: isolationLabels(config.networkPolicies.defaultDeny) } },
      { ...child, dependsOn: args.dependsOn },
    );
    const charts: pulumi.Resource[] = [
      new k8s.helm.v4.Chart(
        `${name}-chart`,
        {
          name: CERT_MANAGER.release,
          chart: CERT_MANAGER_CHART.chart,
          version: CERT_MANAGER_CHART.version,
          repositoryOpts: { repo: CERT_MANAGER_CHART.repository },
          namespace: CERT_MANAGER.namespace,
          values: certManagerValues(ingress.certManager.config(config)),
          valueYamlFiles: [new pulumi.asset.StringAsset(certManagerHookOverrides())],
        },
        { ...child, dependsOn: [namespace] },
      ),
    ];
    if (usesHetznerWebhook(config)) {
      charts.push(
        new k8s.helm.v4.Chart(
          `${name}-hetzner-webhook`,
          {
            name: HETZNER_WEBHOOK.release,
            chart: HETZNER_WEBHOOK.chart,
            version: HETZNER_WEBHOOK.version,
            repositoryOpts: { repo: HETZNER_WEBHOOK.repository },
            namespace: CERT_MANAGER.namespace,
            values: hetznerWebhookValues(),
          },
          { ...child, dependsOn: charts.slice() },
        ),
      );
    }

    const secretName = dnsSecretName(config);
    if (secretName !== undefined) {
      if (args.dnsSecret === undefined) {
        throw new pulumi.ResourceError(`certificates.dns01 needs its secret (${secretName})`, this, true);
      }
      const objs = pulumi
        .secret(args.dnsSecret)
        .apply((value) => dnsSecretObjects(config, { [secretName]: value }));
      charts.push(new k8s.yaml.v2.ConfigGroup(`${name}-dns-secret`, { objs }, { ...child, dependsOn: [namespace] }));
    }
    new k8s.yaml.v2.ConfigGroup(`${name}-issuers`, { objs: clusterIssuers(config, ingress.certManager.http01(config)) }, { ...child, dependsOn: charts });
    this.registerOutputs({});
  }
}
