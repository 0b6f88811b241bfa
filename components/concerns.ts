/**
 * The components side of the registry of concerns (src/concerns/registry.ts): for each CNI, what the program reads
 * before any resource, the component that installs it, and its stack output. Keyed by the CNI names, so a CNI
 * registered without its component does not compile. Site and the program iterate this; they never name a CNI.
 */
import type * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { CniName } from "../src/cni/section";
import { routerFiles } from "../src/cni/calico/routers";
import type { SiteConfig } from "../src/config/site";
import { loadCalico, loadCanal } from "./cni/cache";
import { Calico } from "./cni/calico";
import { Canal } from "./cni/canal";
import { Cilium } from "./cni/cilium";
import type { SiteSecrets } from "./stack-config";

export interface CniInstallArgs {
  readonly config: SiteConfig;
  readonly secrets: SiteSecrets;
  /** What prepare read: the pinned manifest. @default - none, for a CNI without one */
  readonly manifest?: string;
  /** The site's Kubernetes provider. */
  readonly provider: k8s.Provider;
  /** What must exist before the CNI: the nodes' k3s. */
  readonly dependsOn: pulumi.Input<pulumi.Resource>[];
}

export interface CniComponent {
  /**
   * What the component needs read and checked before any resource is registered (a pinned manifest, its digest
   * checked), so that a failed download stops the run with its message instead of half-way through.
   */
  prepare(config: SiteConfig): Promise<string | undefined>;
  /** The component, a child of `parent` named `<site>-<cni>`; undefined for a CNI k3s runs itself. */
  install(site: string, args: CniInstallArgs, parent: pulumi.Resource): pulumi.ComponentResource | undefined;
  /** The routers' side of its BGP sessions, by file name, for the stack output `routers`. */
  routers(config: SiteConfig, stack: string): Record<string, string>;
}

function needsManifest(cni: CniName, manifest: string | undefined, parent: pulumi.Resource): string {
  if (manifest === undefined) throw new pulumi.ResourceError(`a ${cni} site needs its manifest`, parent, true);
  return manifest;
}

const none = async (): Promise<undefined> => undefined;
const noRouters = (): Record<string, string> => ({});

export const CNI_COMPONENTS: { readonly [N in CniName]: CniComponent } = {
  canal: {
    prepare: loadCanal,
    install: (site, { config, provider, dependsOn, manifest }, parent) =>
      new Canal(`${site}-canal`, { config, provider, dependsOn, manifest: needsManifest("canal", manifest, parent) }, { parent }),
    routers: noRouters,
  },
  cilium: {
    prepare: none,
    install: (site, { config, provider, dependsOn }, parent) => new Cilium(`${site}-cilium`, { config, provider, dependsOn }, { parent }),
    routers: noRouters,
  },
  calico: {
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
  flannel: { prepare: none, install: () => undefined, routers: noRouters },
};
