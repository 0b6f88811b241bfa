/**
 * The registry of concerns: src/config runs their rules, src/k3s asks for their flags and pins, and
 * components/concerns.ts registers the component that installs each. A CNI is one line here (its fragment one
 * line in src/cni/section.ts); the keys must be exactly the CNI names, or this does not compile.
 */
import type { z } from "zod";
import type { SiteConfig } from "../config/site";
import { calico } from "../cni/calico/concern";
import { canal } from "../cni/canal/concern";
import { cilium } from "../cni/cilium/concern";
import { flannel } from "../cni/flannel/concern";
import type { CniName } from "../cni/section";
import { metallb } from "../lb/metallb/concern";
import type { Concern, Rule } from "./contract";

export const CNIS: { readonly [N in CniName]: Concern<N, z.ZodType> } = { canal, cilium, calico, flannel };

/** The site's CNI. */
export function cniOf(config: SiteConfig): Concern<CniName, z.ZodType> {
  return CNIS[config.cni.plugin];
}

/** The concerns besides the CNI, each used or not on its own. */
export const ADD_ONS = [metallb] as const;

/** Every concern a site may use: the CNIs, then the add-ons. */
export const CONCERNS: readonly Concern<string, z.ZodType>[] = [...Object.values(CNIS), ...ADD_ONS];

/** The concerns the site uses, in the registry's order: its CNI first. */
export function concernsInUse(config: SiteConfig): Concern<string, z.ZodType>[] {
  return CONCERNS.filter((concern) => concern.uses(config));
}

/** Every rule of every registered concern, in the registry's order. */
export const CONCERN_RULES: readonly Rule[] = CONCERNS.flatMap((concern) => concern.rules);
