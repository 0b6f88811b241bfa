/**
 * Which removal script the membership commands hold. A node's removal is the delete of its membership command, and
 * Pulumi runs a delete with the inputs the state holds (plan/failure.ts), so a removal in the first run after an
 * update of k3s-sites runs the leave script of the version that deployed the stack, not this one's: a fix to it (a
 * dead node removed in bounded time) would not apply. The stack output records the digest of the script every
 * membership command was given, once each holds it; a run that removes nodes while the record is missing or names
 * another script is refused before any resource, asking for one run without removals first, which updates the
 * membership commands (they run nothing on an update).
 */
import { createHash } from "node:crypto";
import type { Problem } from "../config/problems";
import { isHetzner, type SiteConfig } from "../config/site";
import { LEAVE_SCRIPT_TEMPLATE } from "../k3s/script";

/** The stack output that records the removal script the membership commands hold. */
export const REMOVAL_SCRIPT_OUTPUT = "removalScript";

/** This version's removal script: the digest of src/k3s/leave.sh (the per-node values header aside). */
export const REMOVAL_SCRIPT = `leave.sh sha256:${createHash("sha256").update(LEAVE_SCRIPT_TEMPLATE).digest("hex")}`;

/**
 * Refuses removing `removed` unless the previous deployment recorded this version's removal script. `deployed`:
 * whether there is a previous deployment at all (before the first, nothing is removed).
 */
export function checkRemovalScript(config: SiteConfig, removed: readonly string[], previous: unknown, deployed: boolean): Problem[] {
  if (!deployed || removed.length === 0 || previous === REMOVAL_SCRIPT) return [];
  const path = isHetzner(config.site) ? "site.pools" : "site.hosts";
  const recorded =
    typeof previous === "string"
      ? `records another removal script (${REMOVAL_SCRIPT_OUTPUT}: ${previous}; this version's: ${REMOVAL_SCRIPT})`
      : `does not record which removal script its membership commands hold (no stack output ${REMOVAL_SCRIPT_OUTPUT}: deployed by an earlier version of k3s-sites)`;
  return [
    {
      path,
      message:
        `would remove ${removed.join(", ")}, but the previous deployment ${recorded}: Pulumi deletes with the inputs ` +
        `in its state, so the removal would run the script an earlier version of k3s-sites stored. Run \`pulumi up\` ` +
        `once without removing nodes (keep ${removed.join(", ")} in ${path}): it gives every membership command this ` +
        `version's script and runs nothing on the nodes; then remove them`,
    },
  ];
}
