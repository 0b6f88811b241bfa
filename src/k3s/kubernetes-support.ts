/**
 * Which Kubernetes minors the components k3s-sites installs support, by component and release line. A k3s
 * release v1.M.P+k3sN runs Kubernetes 1.M; rules-versions.ts refuses a k3s.version outside them.
 *
 * Each range is the vendor's own statement for that release line, as published (read 2026-12):
 * - Cilium 1.19: Documentation/network/kubernetes/compatibility.rst of cilium/cilium v1.19.3, "All Kubernetes
 *   versions listed are e2e tested and guaranteed": 1.32, 1.33, 1.34, 1.35. A release branch keeps the versions it
 *   tests for its whole maintenance period (same page), so 1.19.6 has the same list.
 * - Cilium 1.20: 1.33, 1.34, 1.35, 1.36. Not read in Cilium's own file here: cilium/cilium is too large to fetch, and
 *   the stored copies of Documentation/network/kubernetes/compatibility.rst are older; the list is as operators quote
 *   the 1.20 page (e.g. thaum-xyz/ankhmorpork pull request 1054, "1.20 covers 1.33-1.36"), and it is what the rule on
 *   the same page gives (the Kubernetes minors upstream patched when the 1.20 branch was cut in 2026: 1.33 until
 *   2026-06-28, 1.34, 1.35, 1.36). The chart's own floor (upstream/charts/cilium/1.20.0/Chart.yaml, kubeVersion
 *   ">= 1.21.0-0") is lower; the tested list is what is refused, as for 1.19.
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
 * - Traefik 3.7: "at least the latest three minor versions of Kubernetes" (traefik/traefik docs/content/includes/
 *   kubernetes-requirements.md, upstream/SOURCES.md "traefik"); at v3.7.11's chart (41.3.0, 2026-08-21) those were
 *   1.34 to 1.36; the chart's kubeVersion `>=1.25.0-0` is the floor refused.
 * - NGINX Ingress Controller 5.5: docs.nginx.com/nginx-ingress-controller, technical specifications and changelog,
 *   "Kubernetes versions tested" for 5.5.4: 1.29 - 1.36. 5.5.4 is the newest 5.x release in that changelog.
 * - Hetzner's cert-manager webhook 0.9.0 states no Kubernetes range (its README at v0.9.0, and its Chart.yaml has no
 *   kubeVersion), so it has no entry and limits nothing; it runs under cert-manager, whose range applies.
 * - Hetzner's CSI driver 2.22: hetznercloud/csi-driver v2.22.1, docs/kubernetes/reference/version-policy.md: "the
 *   latest three versions of Kubernetes"; its table lists 1.33, 1.34, 1.35 and 1.36 for v2.20.2+ (1.32 last in
 *   v2.20.2), and an end-of-life version leaves its CI ("does not necessarily mean that the csi-driver does not still
 *   work"). The table is the tested list; no wider range is stated.
 */
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
  cilium: { "1.19": { testedFrom: 32, testedTo: 35 }, "1.20": { testedFrom: 33, testedTo: 36 } },
  calico: {
    "3.31": { testedFrom: 32, testedTo: 35, worksFrom: 21 },
    "3.32": { testedFrom: 34, testedTo: 36, worksFrom: 21 },
  },
  "cert-manager": { "1.21": { testedFrom: 33, testedTo: 36 } },
  "nginx-ingress": { "5.5": { testedFrom: 29, testedTo: 36 } },
  traefik: { "3.7": { testedFrom: 34, testedTo: 36, worksFrom: 25 } },
  metallb: { "0.16": { testedFrom: 27, testedTo: 31, worksFrom: 19, worksTo: Infinity } },
  "hcloud-csi": { "2.22": { testedFrom: 33, testedTo: 36 } },
} as const satisfies Record<string, Record<string, KubernetesSupport>>;
