/**
 * Which Kubernetes minors the components k3s-sites installs support, and the rule that k3s.version lies inside all
 * of them. A k3s release v1.M.P+k3sN runs Kubernetes 1.M.
 *
 * Each range is the vendor's own statement for that release line, as published (read 2026-12):
 * - Cilium 1.19: Documentation/network/kubernetes/compatibility.rst of cilium/cilium v1.19.3, "All Kubernetes
 *   versions listed are e2e tested and guaranteed": 1.32, 1.33, 1.34, 1.35. A release branch keeps the versions it
 *   tests for its whole maintenance period (same page), so 1.19.6 has the same list.
 * - Calico 3.31 and 3.32, whether as Canal (cni.plugin canal) or alone (cni.plugin calico): tigera/docs calico_versioned_docs/version-3.31 and version-3.32,
 *   _includes/partials/_system-requirements.mdx, "Kubernetes requirements": 3.31 is tested against 1.32-1.35, 3.32
 *   against 1.34-1.36; both "will not work on Kubernetes v1.20 or below. v1.21 may work, but is no longer tested".
 *   Calico states a floor below its tested list, so the floor is what is refused; the tested list is reported.
 *   The page is one for both manifests (calico.yaml and canal.yaml ship from the same release).
 * - MetalLB 0.16: metallb/metallb v0.16.1, website/content/_index.md, "Requirements": "running Kubernetes 1.13.0 or
 *   later"; the chart the program renders (charts/metallb/Chart.yaml) says kubeVersion ">= 1.19.0-0", the higher
 *   floor, so that one is refused. MetalLB states no ceiling. Its CI at that tag (.github/workflows/ci.yaml, tasks.py)
 *   runs the e2e suites on kind v0.24.0's default node image, Kubernetes 1.31, and one job on kindest/node v1.27.1:
 *   that is the tested list reported, and no newer minor is refused.
 * - cert-manager 1.21: cert-manager/website content/docs/releases/README.md, "Currently supported releases":
 *   supported Kubernetes 1.33 -> 1.36, tested 1.33 -> 1.36.
 * - NGINX Ingress Controller 5.5: docs.nginx.com/nginx-ingress-controller, technical specifications and changelog,
 *   "Kubernetes versions tested" for 5.5.4: 1.29 - 1.36.
 */
import type { Problem } from "../config/problems";
import type { SiteConfig } from "../config/site";
import { CILIUM_CHART, ciliumChart } from "../cni/cilium";
import { CERT_MANAGER_CHART } from "../edge/cert-manager";
import { metallbOf } from "../lb/metallb/metallb";
import { METALLB_CHART } from "../lb/metallb/schema";
import { NGINX_IMAGE } from "../edge/nginx";

export interface KubernetesSupport {
  /** Oldest Kubernetes minor the vendor tests (1.x as x). */
  readonly testedFrom: number;
  /** Newest Kubernetes minor the vendor tests. */
  readonly testedTo: number;
  /** Oldest minor the vendor says works at all, when it states one below its tested list. @default testedFrom */
  readonly worksFrom?: number;
  /**
   * Newest minor the vendor says works, when it states none or one above its tested list (Infinity: no ceiling).
   * @default testedTo
   */
  readonly worksTo?: number;
}

/** By component and release line (`<major>.<minor>`). */
export const KUBERNETES_SUPPORT = {
  cilium: { "1.19": { testedFrom: 32, testedTo: 35 } },
  calico: {
    "3.31": { testedFrom: 32, testedTo: 35, worksFrom: 21 },
    "3.32": { testedFrom: 34, testedTo: 36, worksFrom: 21 },
  },
  "cert-manager": { "1.21": { testedFrom: 33, testedTo: 36 } },
  "nginx-ingress": { "5.5": { testedFrom: 29, testedTo: 36 } },
  metallb: { "0.16": { testedFrom: 27, testedTo: 31, worksFrom: 19, worksTo: Infinity } },
} as const satisfies Record<string, Record<string, KubernetesSupport>>;

type Component = keyof typeof KUBERNETES_SUPPORT;

const NAMES: Record<Component, string> = {
  cilium: "Cilium",
  calico: "Calico",
  "cert-manager": "cert-manager",
  "nginx-ingress": "NGINX Ingress Controller",
  metallb: "MetalLB",
};

/** `1.19` from `1.19.6`, `v3.32.1` or `nginx/nginx-ingress:5.5.4`. */
export function releaseLine(version: string): string | undefined {
  return /(\d+)\.(\d+)\.\d+/.exec(version)?.slice(1, 3).join(".");
}

/** Kubernetes minor of a k3s release: 33 from v1.33.5+k3s1. */
export function kubernetesMinor(k3sVersion: string): number | undefined {
  const match = /^v1\.(\d+)\./.exec(k3sVersion);
  return match ? Number(match[1]) : undefined;
}

interface InUse {
  readonly component: Component;
  /** How the message names it, when not by its component's name: Calico as Canal. */
  readonly name?: string;
  readonly version: string;
  /** The config key that chose the version, for the message; pins have none. */
  readonly key?: string;
}

/** The components a site installs and their versions. */
export function componentsInUse(config: SiteConfig): InUse[] {
  const used: InUse[] = [{ component: "nginx-ingress", version: NGINX_IMAGE.split(":")[1] ?? NGINX_IMAGE }];
  if (config.cni.plugin === "cilium") {
    const version = ciliumChart(config).version;
    used.push({ component: "cilium", version, ...(version !== CILIUM_CHART.version ? { key: "cni.cilium.version" } : {}) });
  } else if (config.cni.plugin === "canal") {
    used.push({ component: "calico", name: "Calico (Canal)", version: config.cni.canal.version, key: "cni.canal.version" });
  } else if (config.cni.plugin === "calico") {
    used.push({ component: "calico", version: config.cni.calico.version, key: "cni.calico.version" });
  }
  const metallb = metallbOf(config);
  if (metallb) {
    used.push({
      component: "metallb",
      version: metallb.version,
      ...(metallb.version !== METALLB_CHART.version ? { key: "site.loadBalancer.metallb.version" } : {}),
    });
  }
  if (config.certificates.enabled) used.push({ component: "cert-manager", version: CERT_MANAGER_CHART.version });
  return used;
}

/** k3s.version is a Kubernetes minor that every installed component supports and has been tested with. */
export function checkKubernetesVersion(config: SiteConfig): Problem[] {
  const minor = kubernetesMinor(config.k3s.version);
  if (minor === undefined) return [];
  let low = 0;
  let high = Infinity;
  const limits: string[] = [];
  const blocking: string[] = [];
  for (const { component, name: shown, version, key } of componentsInUse(config)) {
    const line = releaseLine(version);
    const support = line === undefined ? undefined : (KUBERNETES_SUPPORT[component] as Record<string, KubernetesSupport>)[line];
    if (!support) continue; // an unpinned release (cni.canal.sha256): the user vouches for it
    const from = support.worksFrom ?? support.testedFrom;
    const to = support.worksTo ?? support.testedTo;
    const name = `${shown ?? NAMES[component]} ${line}${key ? ` (${key})` : ""}`;
    limits.push(
      `${name} 1.${from}${to === Infinity ? " and newer" : `-1.${to}`}` +
        (support.worksTo !== undefined
          ? ` (tested 1.${support.testedFrom}-1.${support.testedTo})`
          : support.worksFrom !== undefined
            ? ` (tested from 1.${support.testedFrom})`
            : ""),
    );
    low = Math.max(low, from);
    high = Math.min(high, to);
    if (minor < from || minor > to) blocking.push(name);
  }
  if (blocking.length === 0) return [];
  const fix =
    low > high
      ? "no k3s release suits all of them: change the component versions"
      : high === Infinity
        ? `use a k3s release of Kubernetes 1.${low} or newer (v1.${low}.x+k3sN or newer)`
        : `use a k3s release of Kubernetes ${high > low ? `1.${low} to 1.${high}` : `1.${low}`} (v1.${low}.x+k3sN${high > low ? ` to v1.${high}.x+k3sN` : ""})`;
  return [
    {
      path: "k3s.version",
      message:
        `${config.k3s.version} runs Kubernetes 1.${minor}, outside what ${blocking.join(", ")} support${blocking.length === 1 ? "s" : ""}: ` +
        `${fix}. Kubernetes versions supported here: ${limits.join("; ")}`,
    },
  ];
}
