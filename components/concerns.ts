/**
 * The components side of the registry of concerns (src/concerns/registry.ts): for each concern, what the program
 * reads before any resource, the component that installs it, what it waits for, and its stack outputs. Keyed like
 * the src/ registries, so a concern registered without its component does not compile. Site and the program
 * iterate this; they never name a concern.
 */
import type * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { ConcernKind } from "../src/concerns/contract";
import {
  CERTIFICATES,
  LOAD_BALANCERS,
  NETWORK_ATTACHMENTS,
  type AnyConcern,
} from "../src/concerns/registry";
import type { CniName } from "../src/cni/section";
import { routerFiles } from "../src/cni/calico/routers";
import type { SiteConfig } from "../src/config/site";
import type { IngressControllerName } from "../src/ingress/section";
import { metallbOf } from "../src/lb/metallb/metallb";
import { metallbRouterFiles } from "../src/lb/metallb/router";
import { podAnnotations } from "../src/multus/networks";
import { isHetzner } from "../src/config/site";
import { DESTROY_OUTPUT, destroyLeaves } from "../src/storage/destroy";
import type { StorageName } from "../src/storage/section";
import { runsStorageCheck } from "../src/storage/verify";
import { CertManager } from "./certificates/cert-manager";
import { loadCalico, loadCanal } from "../src/cni/cache";
import { Calico } from "./cni/calico";
import { Canal } from "./cni/canal";
import { Cilium } from "./cni/cilium";
import type { LoadBalancerOutput } from "./hetzner/infra";
import { CiliumGateway } from "./ingress/cilium";
import { NginxIngress } from "./ingress/nginx";
import { TraefikIngress } from "./ingress/traefik";
import { ciliumIngressSettings } from "../src/ingress/cilium/concern";
import { traefikSettings } from "../src/ingress/traefik/concern";
import { Metallb } from "./lb/metallb";
import { Multus } from "./multus/multus";
import { StorageCheck } from "./storage/check";
import { HcloudCsi } from "./storage/hcloud-csi";
import { Volumes } from "./storage/volumes";

/** The stack's secrets, read by the program (program/stack-config.ts); each is set only where the site needs it. */
export interface SiteSecrets {
  /** The SSH private key that reaches every node. */
  readonly sshPrivateKey: pulumi.Output<string>;
  /** Hetzner sites only: the API token. */
  readonly hcloudToken?: pulumi.Output<string>;
  /** With k3s.etcdSnapshots.s3 only: the S3 credentials for snapshot uploads. */
  readonly etcdS3?: { readonly accessKey: pulumi.Output<string>; readonly secretKey: pulumi.Output<string> };
  /** With certificates.dns01 only: the DNS provider's API secret. */
  readonly dnsSecret?: pulumi.Output<string>;
  /** With storage.hcloudCsi.encryption only: the LUKS passphrase of the encrypted volumes. */
  readonly volumeEncryptionPassphrase?: pulumi.Output<string>;
  /** Calico sites whose routers use a password: the BGP session password. */
  readonly bgpPassword?: pulumi.Output<string>;
}

export interface ConcernInstallArgs {
  readonly config: SiteConfig;
  readonly secrets: SiteSecrets;
  /** What prepare read: a pinned manifest. @default - none, for a concern without one */
  readonly manifest?: string;
  /** The site's Kubernetes provider. */
  readonly provider: k8s.Provider;
  /** What must exist first: the nodes' k3s for the CNI; the CNI, and what `after` names, for the others. */
  readonly dependsOn: pulumi.Input<pulumi.Resource>[];
  /** Hetzner sites: the load balancer, known at deploy time. @default - none, on home sites */
  readonly loadBalancer?: pulumi.Output<LoadBalancerOutput>;
  /**
   * Whether this run switches ingress controllers from another that holds the nodes' 80 and 443 (src/ingress/
   * switch.ts): the new one's pods cannot start until the old DaemonSet is deleted at the end of the run, so the run
   * does not wait for them. @default false
   */
  readonly waitsForPorts?: boolean;
}

/** The CNIs' install arguments: the same for every concern. */
export type CniInstallArgs = ConcernInstallArgs;

export interface ConcernComponent {
  /**
   * What the component needs read and checked before any resource is registered (a pinned manifest, its digest
   * checked), so that a failed download stops the run with its message instead of half-way through.
   */
  prepare(config: SiteConfig): Promise<string | undefined>;
  /** The component, a child of `parent` named `<site>-<name>`; undefined for a concern with nothing to install. */
  install(site: string, args: ConcernInstallArgs, parent: pulumi.Resource): pulumi.ComponentResource | undefined;
  /** The routers' side of its BGP sessions, by file name, for the stack output `routers`. */
  routers(config: SiteConfig, stack: string): Record<string, string>;
  /** Its other stack outputs, by name. */
  outputs(config: SiteConfig): Record<string, unknown>;
  /** The kinds of concern whose components must be in before it (the CNI always is). */
  readonly after: readonly ConcernKind[];
  /** Whether it goes in after the site's NetworkPolicies, which create the apps' namespaces. */
  readonly afterPolicies: boolean;
  /** Whether the NetworkPolicies and the checks (Verify) wait for it. */
  readonly awaited: boolean;
}

/** The CNIs' components: each goes in first, right after the API server. */
export type CniComponent = ConcernComponent;

function needsManifest(cni: CniName, manifest: string | undefined, parent: pulumi.Resource): string {
  if (manifest === undefined) throw new pulumi.ResourceError(`a ${cni} site needs its manifest`, parent, true);
  return manifest;
}

const none = async (): Promise<undefined> => undefined;
const noRouters = (): Record<string, string> => ({});
const noOutputs = (): Record<string, unknown> => ({});
/** The shape of a component that goes in after the CNI and waits for nothing else. */
const PLAIN = { prepare: none, routers: noRouters, outputs: noOutputs, after: [], afterPolicies: false, awaited: true } as const;

export const CNI_COMPONENTS: { readonly [N in CniName]: ConcernComponent } = {
  canal: {
    ...PLAIN,
    prepare: loadCanal,
    install: (site, { config, provider, dependsOn, manifest }, parent) =>
      new Canal(`${site}-canal`, { config, provider, dependsOn, manifest: needsManifest("canal", manifest, parent) }, { parent }),
  },
  cilium: {
    ...PLAIN,
    install: (site, { config, provider, dependsOn }, parent) => new Cilium(`${site}-cilium`, { config, provider, dependsOn }, { parent }),
  },
  calico: {
    ...PLAIN,
    prepare: loadCalico,
    install: (site, { config, provider, dependsOn, manifest, secrets }, parent) =>
      new Calico(
        `${site}-calico`,
        {
          config,
          provider,
          dependsOn,
          manifest: needsManifest("calico", manifest, parent),
          ...(secrets.bgpPassword ? { bgpPassword: secrets.bgpPassword } : {}),
        },
        { parent },
      ),
    routers: routerFiles,
  },
  // k3s runs its own Flannel: nothing to install.
  flannel: { ...PLAIN, install: () => undefined },
};

export const INGRESS_COMPONENTS: { readonly [N in IngressControllerName]: ConcernComponent } = {
  nginx: {
    ...PLAIN,
    // Its LoadBalancer Service, where the site has one, asks the load balancer for its address once the pools exist.
    after: ["loadBalancer"],
    install: (site, { config, provider, dependsOn, loadBalancer, waitsForPorts }, parent) =>
      new NginxIngress(
        `${site}-nginx`,
        {
          config,
          provider,
          ...(loadBalancer ? { statusAddress: loadBalancer.apply((lb) => lb.ipv4) } : {}),
          ...(waitsForPorts ? { skipAwait: true } : {}),
          dependsOn,
        },
        { parent },
      ),
  },
  traefik: {
    ...PLAIN,
    after: ["loadBalancer"],
    install: (site, { config, provider, dependsOn, loadBalancer, waitsForPorts }, parent) =>
      new TraefikIngress(
        `${site}-traefik`,
        {
          config,
          settings: traefikSettings(config),
          provider,
          ...(loadBalancer ? { statusAddress: loadBalancer.apply((lb) => lb.ipv4) } : {}),
          ...(waitsForPorts ? { skipAwait: true } : {}),
          dependsOn,
        },
        { parent },
      ),
  },
  cilium: {
    ...PLAIN,
    // Its CiliumNetworkPolicies live in the apps' namespaces, which the policies create; nothing waits for it.
    afterPolicies: true,
    awaited: false,
    install: (site, { config, provider, dependsOn }, parent) =>
      new CiliumGateway(`${site}-cilium-gateway`, { config, settings: ciliumIngressSettings(config), provider, dependsOn }, { parent }),
  },
};

export const CERTIFICATE_COMPONENTS: { readonly [N in keyof typeof CERTIFICATES]: ConcernComponent } = {
  "cert-manager": {
    ...PLAIN,
    install: (site, { config, provider, secrets, dependsOn }, parent) =>
      new CertManager(
        `${site}-cert-manager`,
        { config, provider, ...(secrets.dnsSecret ? { dnsSecret: secrets.dnsSecret } : {}), dependsOn },
        { parent },
      ),
  },
};

export const LOAD_BALANCER_COMPONENTS: { readonly [N in keyof typeof LOAD_BALANCERS]: ConcernComponent } = {
  metallb: {
    ...PLAIN,
    // The ingress controller, which waits for it, is awaited in its place.
    awaited: false,
    install: (site, { config, provider, dependsOn }, parent) => {
      const metallb = metallbOf(config);
      return metallb
        ? new Metallb(`${site}-metallb`, { metallb, isolated: config.networkPolicies.defaultDeny, provider, dependsOn }, { parent })
        : undefined;
    },
    routers: metallbRouterFiles,
  },
};

export const NETWORK_ATTACHMENT_COMPONENTS: { readonly [N in keyof typeof NETWORK_ATTACHMENTS]: ConcernComponent } = {
  multus: {
    ...PLAIN,
    // Its NetworkAttachmentDefinitions live in the apps' namespaces, which the policies component creates.
    afterPolicies: true,
    awaited: false,
    install: (site, { config, provider, dependsOn }, parent) => new Multus(`${site}-multus`, { config, provider, dependsOn }, { parent }),
    // The k8s.v1.cni.cncf.io/networks annotation each app attached to a Multus network must carry, by app.
    outputs: (config) => ({ multusAnnotations: podAnnotations(config) }),
  },
};

/** What a destroy leaves of the site's data, for the stack output volumesLeftOnDestroy. */
const leftOnDestroy = (config: SiteConfig): Record<string, unknown> => ({ [DESTROY_OUTPUT]: destroyLeaves(config, pulumi.getStack()) });

export const STORAGE_COMPONENTS: { readonly [N in StorageName]: ConcernComponent } = {
  "hcloud-csi": {
    ...PLAIN,
    install: (site, { config, secrets, provider, dependsOn }, parent) => {
      // The rules refuse the driver on another kind of site; the token reaches the controller through the servers.
      if (!isHetzner(config.site)) throw new pulumi.ResourceError("storage.driver hcloud-csi needs a hetzner site", parent, true);
      return new HcloudCsi(
        `${site}-hcloud-csi`,
        {
          siteName: pulumi.getStack(),
          location: config.site.location,
          settings: config.storage.hcloudCsi,
          check: config,
          isolated: config.networkPolicies.defaultDeny,
          ...(secrets.volumeEncryptionPassphrase ? { passphrase: secrets.volumeEncryptionPassphrase } : {}),
          provider,
          dependsOn,
        },
        { parent },
      );
    },
    outputs: leftOnDestroy,
  },
  // k3s runs the provisioner (or not: storage.driver none); the component is the storage check, when it runs.
  "local-path": {
    ...PLAIN,
    install: (site, { config, provider, dependsOn }, parent) =>
      runsStorageCheck(config)
        ? new StorageCheck(`${site}-storage-check`, { config, isolated: config.networkPolicies.defaultDeny, provider, dependsOn }, { parent })
        : undefined,
    outputs: leftOnDestroy,
  },
  volumes: {
    ...PLAIN,
    // Its claims live in the apps' namespaces, which the policies component creates; nothing waits for them.
    afterPolicies: true,
    awaited: false,
    install: (site, { config, provider, dependsOn }, parent) => new Volumes(`${site}-volumes`, { storage: config.storage, provider, dependsOn }, { parent }),
  },
};

const BY_KIND: { readonly [K in ConcernKind]: Readonly<Record<string, ConcernComponent>> } = {
  cni: CNI_COMPONENTS,
  ingress: INGRESS_COMPONENTS,
  certificates: CERTIFICATE_COMPONENTS,
  loadBalancer: LOAD_BALANCER_COMPONENTS,
  networkAttachments: NETWORK_ATTACHMENT_COMPONENTS,
  storage: STORAGE_COMPONENTS,
};

/** The component of a registered concern. */
export function componentOf(concern: AnyConcern): ConcernComponent {
  const component = BY_KIND[concern.kind][concern.name];
  if (!component) throw new Error(`${concern.kind} ${concern.name} has no component in components/concerns.ts`);
  return component;
}
