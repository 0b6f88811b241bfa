/**
 * The rule that k3s.version lies inside the Kubernetes minors of every component the site installs: the pins of
 * the concerns in use (src/concerns/registry.ts), whose ranges
 * kubernetes-support.ts holds with their sources. A k3s release v1.M.P+k3sN runs Kubernetes 1.M.
 */
import type { Pin } from "../concerns/contract";
import { concernsInUse } from "../concerns/registry";
import type { Problem } from "../config/problems";
import type { SiteConfig } from "../config/site";

/** `1.19` from `1.19.6`, `v3.32.1` or `nginx/nginx-ingress:5.5.4`. */
export function releaseLine(version: string): string | undefined {
  return /(\d+)\.(\d+)\.\d+/.exec(version)?.slice(1, 3).join(".");
}

/** Kubernetes minor of a k3s release: 33 from v1.33.5+k3s1. */
export function kubernetesMinor(k3sVersion: string): number | undefined {
  const match = /^v1\.(\d+)\./.exec(k3sVersion);
  return match ? Number(match[1]) : undefined;
}

/** The pins of what a site installs, in the order messages list them. */
export function pinsInUse(config: SiteConfig): Pin[] {
  return concernsInUse(config).flatMap((concern) => concern.pins(config));
}

/** k3s.version is a Kubernetes minor that every installed component supports and has been tested with. */
export function checkKubernetesVersion(config: SiteConfig): Problem[] {
  const minor = kubernetesMinor(config.k3s.version);
  if (minor === undefined) return [];
  let low = 0;
  let high = Infinity;
  const limits: string[] = [];
  const blocking: string[] = [];
  for (const pin of pinsInUse(config)) {
    const line = releaseLine(pin.version(config));
    const support = line === undefined ? undefined : pin.support[line];
    const key = pin.key(config);
    if (!support) continue; // an unpinned release (cni.canal.sha256): the user vouches for it
    const from = support.worksFrom ?? support.testedFrom;
    const to = support.worksTo ?? support.testedTo;
    const name = `${pin.name} ${line}${key ? ` (${key})` : ""}`;
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
