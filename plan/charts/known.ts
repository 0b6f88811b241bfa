/**
 * What the chart checks accept, each entry with its reason and source. A new hook, a new reference to an object no
 * one renders, or a new image repository fails the checks until it is understood and listed here.
 */
import { CERT_MANAGER_CHART, HETZNER_WEBHOOK } from "../../src/certificates/cert-manager/cert-manager";
import { METALLB_CHART } from "../../src/lb/metallb/schema";
import { TRAEFIK_CHART } from "../../src/ingress/traefik/values";
import { HCLOUD_CSI_CHART } from "../../src/storage/hcloud-csi/schema";
import type { ImageRule, KnownHook, RuntimeObject } from "./checks";
import type { KnownMetrics } from "./metrics";

/**
 * Hooks Chart v4 drops that a site does without. None today: cert-manager's only non-test hooks are its
 * startupapicheck Job and that Job's ServiceAccount, Role and RoleBinding (templates/startupapicheck-*.yaml of
 * v1.21.2), which the program turns into ordinary objects (certManagerHookOverrides in src/certificates/cert-manager/cert-manager.ts);
 * cilium 1.20.0 (as 1.19.6 before it) and Hetzner's webhook 0.9.0 render no hook with the site's values.
 */
export const KNOWN_HOOKS: readonly KnownHook[] = [];

/** Objects pods use that a controller creates on the cluster, not a chart or the program. */
export const RUNTIME_OBJECTS: readonly RuntimeObject[] = [
  {
    kind: "Secret",
    namespace: "kube-system",
    name: "hubble-relay-client-certs",
    createdBy:
      "cilium's hubble-generate-certs Job and CronJob (certgen), from its CILIUM_CERTGEN_CONFIG " +
      "(templates/hubble/tls-cronjob/_job-spec.tpl of cilium 1.19.6 and 1.20.0, hubble.tls.auto.method cronJob)",
  },
];

/** The images that carry each chart's own version; the others must be pinned by tag or digest. */
export const IMAGE_RULES: Readonly<Record<string, ImageRule>> = {
  // cilium's values.yaml: image, operator.image and hubble.relay.image are tagged with the chart's version (with a
  // digest); envoy, certgen and hubble-ui have releases of their own.
  cilium: {
    chart: "cilium",
    appRepositories: /^quay\.io\/cilium\/(cilium|operator(-generic)?|hubble-relay|clustermesh-apiserver)$/,
    appVersion: (v) => `v${v}`,
  },
  // cert-manager's images default to the chart's appVersion, which its release build sets to the release tag.
  "cert-manager": {
    chart: CERT_MANAGER_CHART.chart,
    appRepositories: /^quay\.io\/jetstack\/cert-manager-/,
    appVersion: (v) => v,
  },
  // metallb's templates tag controller and speaker with the chart's appVersion, v<chart version> (Chart.yaml of
  // 0.16.1; FRR-K8s and FRR images, rendered only with BGP, have releases of their own).
  [METALLB_CHART.chart]: {
    chart: METALLB_CHART.chart,
    appRepositories: /^quay\.io\/metallb\/(controller|speaker)$/,
    appVersion: (v) => `v${v}`,
  },
  // Traefik's chart tags its one image with its appVersion (values.yaml image.tag empty -> Chart.yaml appVersion),
  // which is not derived from the chart's own version: the pin names both (src/ingress/traefik/values.ts).
  [TRAEFIK_CHART.chart]: {
    chart: TRAEFIK_CHART.chart,
    appRepositories: /^docker\.io\/traefik$/,
    appVersion: (v) => (v === TRAEFIK_CHART.version ? TRAEFIK_CHART.appVersion : `the appVersion of traefik chart ${v}`),
  },
  // Hetzner's values.yaml tags its image v<chart version> (x-releaser-pleaser-version).
  [HETZNER_WEBHOOK.chart]: {
    chart: HETZNER_WEBHOOK.chart,
    appRepositories: /^docker\.io\/hetzner\/cert-manager-webhook-hetzner$/,
    appVersion: (v) => `v${v}`,
  },
  // Hetzner's CSI values.yaml tags the driver's image v{{ .Chart.Version }} (controller and node alike); the CSI
  // sidecars (registry.k8s.io/sig-storage) have releases of their own, pinned by tag.
  [HCLOUD_CSI_CHART.chart]: {
    chart: HCLOUD_CSI_CHART.chart,
    appRepositories: /^docker\.io\/hetznercloud\/hcloud-csi-driver$/,
    appVersion: (v) => `v${v}`,
  },
};

/**
 * Metrics endpoints that are on with the site's values, on the host network (where NetworkPolicies do not apply),
 * with no scraper configured. Both are cilium's defaults (values.yaml of 1.19.6 and 1.20.0: operator.prometheus.enabled and
 * envoy.prometheus.enabled true, their serviceMonitor.enabled false; the agent's own prometheus.enabled and
 * hubble.metrics are off, so the agent serves none). They serve read-only metrics over plain HTTP on every node
 * that runs them: on a Hetzner site the firewall keeps them off the public addresses (it lets in only SSH and the
 * API, src/hetzner/model.ts firewallRules) but not off the private network, which it does not filter; on a home
 * site, the LAN reaches them.
 */
export const KNOWN_METRICS: readonly KnownMetrics[] = [];
