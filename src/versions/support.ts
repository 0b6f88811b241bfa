/**
 * How long upstream supports each release line k3s-sites pins or moves to, one entry per line with its source, and
 * the check that a pin is still inside its line's window on a given day. Plain data: the test that runs the check on
 * the day it runs is test/versions/support.test.ts.
 *
 * Read on 2026-12-07. The newest upstream data reachable here is of early October 2026 (k3s-io/docs at 5962ea1e
 * lists the releases of 2026-09-30 and nothing later), so a patch release of October or November 2026 may be
 * missing from `newest`: check the sources named before moving a pin.
 */
import { CONCERNS } from "../concerns/registry";

/** One release line and its upstream support. Dates are ISO days (UTC). */
export interface SupportWindow {
  /** `<major>.<minor>`: 1.36 (k3s, of Kubernetes 1.36), 1.19 (Cilium), 3.32 (Calico), 0.16 (MetalLB). */
  readonly line: string;
  /** First release of the line. @default - not read here */
  readonly released?: string;
  /** Last day upstream supports the line. @default - upstream names no day (see `endsWhen`) */
  readonly endOfSupport?: string;
  /** How upstream states the end when it names no day. */
  readonly endsWhen?: string;
  /** Newest release of the line found in the sources, and its day when read. @default - none found */
  readonly newest?: { readonly version: string; readonly date?: string };
  /** Where each fact was read: repository, file and ref, or page. */
  readonly source: string;
}

const KUBERNETES_PAGES =
  "kubernetes.io/releases/<minor>/ (kubernetes/website data/releases/schedule.yaml), 'End Of Life Date'";
const K3S_NOTES = "k3s-io/docs docs/release-notes/v<minor>.X.md at 5962ea1e21eaed46ee54635568abcfc5f3cd863c";

/**
 * By component. k3s has no support window of its own: a k3s line lives as long as upstream supports its Kubernetes
 * minor (k3s stops releasing a line once Kubernetes stops patching it), so its entries carry Kubernetes' dates.
 */
export const SUPPORT = {
  k3s: [
    {
      line: "1.33",
      released: "2025-04-23",
      endOfSupport: "2026-06-28",
      source: `${KUBERNETES_PAGES} (maintenance mode from 2026-04-28); release day from the Kubernetes v1.33 release announcement, not re-read here`,
    },
    {
      line: "1.34",
      released: "2025-08-27",
      endOfSupport: "2026-10-27",
      newest: { version: "v1.34.12+k3s1", date: "2026-09-30" },
      source:
        `${KUBERNETES_PAGES} (maintenance mode from 2026-08-27); release day from the Kubernetes v1.34 release announcement, not re-read here; ` +
        "newest: the channel server's v1.34 channel as quoted in October 2026 by third-party pins (no k3s-io file read for it)",
    },
    {
      line: "1.35",
      released: "2025-12-17",
      endOfSupport: "2027-02-28",
      newest: { version: "v1.35.9+k3s1", date: "2026-09-30" },
      source:
        `${KUBERNETES_PAGES} (maintenance mode from 2026-12-28; Kubernetes 1.35.9 released 2026-09-15); release day from the ` +
        "Kubernetes v1.35 release announcement, not re-read here; newest: third-party pins naming its day (the v1.35.X.md stored here is older)",
    },
    {
      line: "1.36",
      released: "2026-04-22",
      endOfSupport: "2027-06-28",
      newest: { version: "v1.36.5+k3s1", date: "2026-09-30" },
      source:
        `${KUBERNETES_PAGES} ('1.36.0 (Released on 2026-04-22)', maintenance mode from 2027-04-28); newest: ${K3S_NOTES}; ` +
        "the stable channel was v1.36.4+k3s1 from 2026-08-27 (k3s-io/k3s pull request 14553) and v1.36.5+k3s1 in October 2026 " +
        "(as third-party notes quote the channel server)",
    },
    {
      line: "1.37",
      released: "2026-08-26",
      endOfSupport: "2027-10-28",
      newest: { version: "v1.37.1+k3s1", date: "2026-09-30" },
      source: `${KUBERNETES_PAGES} ('1.37.0 (Released on 2026-08-26)'); newest: ${K3S_NOTES}`,
    },
  ],
  cilium: [
    {
      line: "1.19",
      released: "2026-02-04",
      endsWhen: "the release of Cilium 1.22: the last three minor versions are maintained",
      newest: { version: "1.19.8", date: "2026-09-15" },
      source:
        "released: cilium/charts commit 730e56e57a21cfac9c5481721caca20b78525afb ('Add cilium v1.19.0'); end: cilium/cilium " +
        "README.rst, 'Stable Releases'; newest: the same table as of 2026-09-15 (v1.20.2, v1.19.8, v1.18.14)",
    },
    {
      line: "1.20",
      released: "2026-07-29",
      endsWhen: "the release of Cilium 1.23: the last three minor versions are maintained",
      newest: { version: "1.20.2", date: "2026-09-15" },
      source:
        "released: cilium/charts commit d5f3d1cc0ed8e94d6920996024fefe5a3857dc15 ('Add cilium v1.20.0'); end and newest: " +
        "cilium/cilium README.rst, 'Stable Releases', as of 2026-09-15. The charts snapshot here ends at 2026-08-03, so " +
        "only 1.20.0 is vendored",
    },
  ],
  calico: [
    {
      line: "3.31",
      released: "2025-10-21",
      endsWhen: "not stated in the sources read here",
      newest: { version: "v3.31.7", date: "2026-08-20" },
      source: "projectcalico/calico tags v3.31.0 (b1f3c43f) and v3.31.7 (94bd1d5b), their commit days",
    },
    {
      line: "3.32",
      released: "2026-04-30",
      endsWhen: "not stated in the sources read here",
      newest: { version: "v3.32.1", date: "2026-06-24" },
      source:
        "projectcalico/calico tags v3.32.0 (eb1cf578) and v3.32.1 (0ca9d1b9), their commit days; the snapshot ends on " +
        "2026-08-22, and third-party pins of October 2026 name v3.32.2 and v3.33.0 (2026-10-01), not read here",
    },
  ],
  "cert-manager": [
    {
      line: "1.21",
      released: "2026-07-08",
      endsWhen: "the release of cert-manager 1.23 (1.22 was expected around November 2026)",
      newest: { version: "v1.21.2", date: "2026-08-21" },
      source:
        "cert-manager/website content/docs/releases/README.md, 'Currently supported releases' (Kubernetes 1.33 -> 1.36), " +
        "as quoted in a third-party copy of that file; newest: upstream/SOURCES.md, charts/cert-manager/v1.21.2 " +
        "(release-1.21 at 378ef0e2 of 2026-08-21)",
    },
  ],
  "nginx-ingress": [
    {
      line: "5.5",
      endsWhen: "two years after a later release, for F5 customers; the current release carries no end date",
      newest: { version: "5.5.4" },
      source:
        "docs.nginx.com/nginx-ingress-controller/technical-specifications and changelog, compatibility matrix (5.5.4: " +
        "Kubernetes 1.29 - 1.36, 'End of Technical Support' blank for the current release); the days of 5.5.0 and 5.5.4 " +
        "were not read",
    },
  ],
  metallb: [
    {
      line: "0.16",
      released: "2026-05-20",
      endsWhen: "MetalLB states no support window in the sources read here",
      newest: { version: "0.16.1", date: "2026-05-27" },
      source: "metallb/metallb tags v0.16.0 (b5308b5e) and v0.16.1, their days; the snapshot ends on 2026-07-19",
    },
  ],
  "cert-manager-webhook-hetzner": [
    {
      line: "0.9",
      released: "2026-08-19",
      endsWhen: "Hetzner states no support window in the sources read here",
      newest: { version: "0.9.0", date: "2026-08-19" },
      source: "hetzner/cert-manager-webhook-hetzner tag v0.9.0 (cdcbd5e4), as src/certificates/cert-manager/cert-manager.ts reads it",
    },
  ],
  traefik: [
    {
      line: "3.7",
      endsWhen: "until the next minor (3.8) is released: Traefik supports each minor until the next one is out",
      newest: { version: "3.7.11", date: "2026-08-21" },
      source:
        "traefik/traefik SECURITY.md ('Each version is supported until the next one is released'; the current file points " +
        "to the Releases page for the dates); newest: traefik/traefik-helm-chart v41.3.0 (a8a66d0, 2026-08-21), " +
        "appVersion v3.7.11, the newest tag in the snapshot read here",
    },
  ],
  "hcloud-csi": [
    {
      line: "2.22",
      released: "2026-07-30",
      endsWhen: "Hetzner states no support window for its own releases, only the Kubernetes versions each supports",
      newest: { version: "2.22.1", date: "2026-07-30" },
      source:
        "hetznercloud/csi-driver tag v2.22.1 (3186e787, 'chore(main): release v2.22.1', 2026-07-30), the newest tag in " +
        "the snapshot read here (head of 2026-08-22); docs/kubernetes/reference/version-policy.md at that tag",
    },
  ],
} as const satisfies Record<string, readonly SupportWindow[]>;

export type SupportedComponent = keyof typeof SUPPORT;

/** A version k3s-sites pins, and where. */
export interface Pin {
  readonly component: SupportedComponent;
  readonly version: string;
  /** The constant or file that pins it, for the message. */
  readonly where: string;
}

/**
 * The pins in the code: every registered concern's (its codePins), once each. k3s has none: every stack names its
 * k3s.version, so callers add the stacks' versions.
 */
export function codePins(): Pin[] {
  const seen = new Set<string>();
  return CONCERNS.flatMap((concern) => concern.codePins).flatMap((pin): Pin[] => {
    const id = `${pin.component} ${pin.version}`;
    if (seen.has(id)) return [];
    seen.add(id);
    return [{ component: pin.component as SupportedComponent, version: pin.version, where: pin.where }];
  });
}

/** `1.33` from `v1.33.5+k3s1`, `1.19` from `1.19.6`, `3.32` from `v3.32.1`. */
export function lineOf(version: string): string | undefined {
  return /^v?(\d+)\.(\d+)\.\d+/.exec(version)?.slice(1, 3).join(".");
}

function compareLines(a: string, b: string): number {
  const [am = 0, an = 0] = a.split(".").map(Number);
  const [bm = 0, bn = 0] = b.split(".").map(Number);
  return am - bm || an - bn;
}

/** Whether a line is released and not past its end on `day` (an ISO day). A line without an end day is supported. */
export function supportedOn(window: SupportWindow, day: string): boolean {
  return (window.released === undefined || window.released <= day) && (window.endOfSupport === undefined || day <= window.endOfSupport);
}

export interface PinSupport {
  /** Pins whose line's support ended before `day`, each with the newest supported release. */
  readonly lapsed: string[];
  /** Pins of a line the table does not list. */
  readonly unlisted: string[];
}

/**
 * Which pins are out of upstream support on `day` (an ISO day, e.g. `new Date().toISOString().slice(0, 10)`),
 * naming each pin, the day its line's support ended and the newest release of the lines still supported.
 */
export function pinSupport(pins: readonly Pin[], day: string, table: Readonly<Record<string, readonly SupportWindow[]>> = SUPPORT): PinSupport {
  const lapsed: string[] = [];
  const unlisted: string[] = [];
  for (const pin of pins) {
    const windows = table[pin.component] ?? [];
    const line = lineOf(pin.version);
    const window = windows.find((w) => w.line === line);
    if (!window) {
      unlisted.push(`${pin.where} pins ${pin.component} ${pin.version}: no support window for line ${line ?? "?"} in src/versions/support.ts`);
      continue;
    }
    if (supportedOn(window, day)) continue;
    const alive = windows.filter((w) => supportedOn(w, day)).sort((a, b) => compareLines(b.line, a.line));
    const newest = alive.find((w) => w.newest)?.newest?.version;
    const lines = alive
      .map((w) => `${w.line}${w.newest ? ` (${w.newest.version})` : ""}${w.endOfSupport ? ` until ${w.endOfSupport}` : ""}`)
      .join(", ");
    lapsed.push(
      `${pin.where} pins ${pin.component} ${pin.version}: line ${window.line} left upstream support on ${window.endOfSupport}; ` +
        (newest ? `newest supported release: ${newest} (supported lines: ${lines})` : "no supported line is listed"),
    );
  }
  return { lapsed, unlisted };
}
