/**
 * The registry of concerns: src/config runs their rules, src/k3s asks for their flags and pins, the policies read
 * their hooks, and components/concerns.ts registers the component that installs each. Adding one is a folder and a
 * line here (its fragment one line in its section: src/cni/section.ts, src/ingress/section.ts); a keyed registry
 * must have exactly the names of its section, or this does not compile.
 */
import type { z } from "zod";
import type { SiteConfig } from "../config/site";
import { certManager } from "../certificates/cert-manager/concern";
import { calico } from "../cni/calico/concern";
import { canal } from "../cni/canal/concern";
import { cilium } from "../cni/cilium/concern";
import { flannel } from "../cni/flannel/concern";
import type { CniName } from "../cni/section";
import { ciliumIngress } from "../ingress/cilium/concern";
import { nginx } from "../ingress/nginx/concern";
import { traefik } from "../ingress/traefik/concern";
import type { IngressControllerName } from "../ingress/section";
import { metallb } from "../lb/metallb/concern";
import { multus } from "../multus/concern";
import { hcloudCsi } from "../storage/hcloud-csi/concern";
import { localPath } from "../storage/local-path/concern";
import type { StorageConfig, StorageDriver, StorageName } from "../storage/section";
import { volumes } from "../storage/volumes/concern";
import type { Concern, ConcernKind, IngressController, Rule, ServerSecretFile, SiteConcerns, StorageDriverConcern } from "./contract";

/** Any concern, whatever its name and fragment. */
export type AnyConcern = Concern<string, z.ZodType>;

/** The CNIs, by cni.plugin. */
export const CNIS: { readonly [N in CniName]: Concern<N, z.ZodType> } = { canal, cilium, calico, flannel };

/** The ingress controllers, by ingress.controller. */
export const INGRESS_CONTROLLERS: { readonly [N in IngressControllerName]: IngressController<N, z.ZodType> } = { nginx, traefik, cilium: ciliumIngress };

/** The certificate managers, each used or not on its own. */
export const CERTIFICATES = { "cert-manager": certManager } as const satisfies Record<string, AnyConcern>;

/** The load balancers for LoadBalancer Services, each used or not on its own. */
export const LOAD_BALANCERS = { metallb } as const satisfies Record<string, AnyConcern>;

/** The providers of extra pod networks, each used or not on its own. */
export const NETWORK_ATTACHMENTS = { multus } as const satisfies Record<string, AnyConcern>;

/** The storage drivers, each used or not on its own (src/storage/section.ts). */
export const STORAGE: { readonly [N in StorageName]: Concern<N, z.ZodType> } = { "hcloud-csi": hcloudCsi, "local-path": localPath, volumes };

/** The storage drivers, by storage.driver (none: no driver). */
export const STORAGE_DRIVERS: { readonly [N in Exclude<StorageDriver, "none">]: StorageDriverConcern<N, z.ZodType> } = {
  "hcloud-csi": hcloudCsi,
  "local-path": localPath,
};

/** The site's storage driver, or undefined with storage.driver none. */
export function storageDriverOf(storage: StorageConfig): StorageDriverConcern<string, z.ZodType> | undefined {
  return storage.driver === "none" ? undefined : STORAGE_DRIVERS[storage.driver];
}

/** The site's CNI. */
export function cniOf(config: SiteConfig): Concern<CniName, z.ZodType> {
  return CNIS[config.cni.plugin];
}

/** The site's ingress controller. */
export function ingressOf(config: SiteConfig): IngressController<IngressControllerName, z.ZodType> {
  return INGRESS_CONTROLLERS[config.ingress.controller];
}

/** The site's concerns as its rules see them. */
export function siteConcerns(config: SiteConfig): SiteConcerns {
  return { cni: cniOf(config), cnis: Object.values(CNIS) };
}

/** The concerns of each kind, in the order the program lists them (CONCERN_KINDS). */
export const BY_KIND: { readonly [K in ConcernKind]: readonly AnyConcern[] } = {
  cni: Object.values(CNIS),
  ingress: Object.values(INGRESS_CONTROLLERS),
  certificates: Object.values(CERTIFICATES),
  loadBalancer: Object.values(LOAD_BALANCERS),
  networkAttachments: Object.values(NETWORK_ATTACHMENTS),
  storage: Object.values(STORAGE),
};

/** The concerns besides the CNI and the ingress controller, each used or not on its own. */
export const ADD_ONS: readonly AnyConcern[] = [...BY_KIND.certificates, ...BY_KIND.loadBalancer, ...BY_KIND.networkAttachments, ...BY_KIND.storage];

/** Every concern a site may use: the CNIs, the ingress controllers, then the add-ons. */
export const CONCERNS: readonly AnyConcern[] = [...BY_KIND.cni, ...BY_KIND.ingress, ...ADD_ONS];

/** The concerns the site uses, in the registry's order: its CNI first, then its ingress controller. */
export function concernsInUse(config: SiteConfig): AnyConcern[] {
  return CONCERNS.filter((concern) => concern.uses(config));
}

/** Every rule of every registered concern, in the registry's order. */
export const CONCERN_RULES: readonly Rule[] = CONCERNS.flatMap((concern) => concern.rules);

/**
 * Whether a concern in use hands out LoadBalancer addresses (Cilium's LB-IPAM, MetalLB), so that the ingress
 * controller gets a LoadBalancer Service.
 */
export function ingressLoadBalancerService(config: SiteConfig): boolean {
  return concernsInUse(config).some((concern) => concern.loadBalancerAddresses(config));
}

/**
 * The secret files every server of the site keeps (src/k3s/secret-files.ts), from the concerns in use, in the order
 * the node script reads them.
 */
export function serverSecretFilesOf(config: SiteConfig): ServerSecretFile[] {
  const files = concernsInUse(config).flatMap((concern) => concern.k3s.serverSecretFiles(config));
  for (const file of files) {
    // The path is part of the node script's text; the rule keeps it to plain names.
    if (!/^[a-z0-9-]+\/[a-z0-9-]+$/.test(file.path)) throw new Error(`server secret file path ${JSON.stringify(file.path)} is not <folder>/<file>`);
  }
  return files;
}
