/**
 * A change of storage.driver on a running site, said plainly before anything happens: the program logs these lines as
 * warnings (so `pulumi preview` and `pulumi up` show them). The deployed driver is recorded in a stack output; a site
 * deployed before storage.driver existed ran k3s's local-path provisioner (k3s deploys it unless disabled), so a
 * deployed site without the record counts as local-path.
 * What the switch does to the volumes the old driver made, each driver says (its concern's `switchedAway`).
 */
import type { z } from "zod";
import type { StorageDriverConcern } from "../concerns/contract";
import { STORAGE_DRIVERS } from "../concerns/registry";
import type { StorageDriver } from "./section";
import { defaultStorageClass } from "./volumes/claims";
import type { StorageConfig } from "./section";

/** The stack output that records the storage driver the deployment installed. */
export const STORAGE_DRIVER_OUTPUT = "storageDriver";

/** What every site ran before storage.driver existed. */
const BEFORE_THE_CHOICE: StorageDriver = "local-path";

/**
 * The warning lines of this run's change of storage.driver; none on a new site or when the driver stays.
 * `previous` is the recorded driver (undefined for a deployment that predates the record).
 */
export function storageDriverSwitch(deployed: boolean, previous: unknown, storage: StorageConfig): string[] {
  if (!deployed) return [];
  const from = typeof previous === "string" ? previous : BEFORE_THE_CHOICE;
  const to = storage.driver;
  if (from === to) return [];
  const lines: string[] = [];
  const newDefault = defaultStorageClass(storage);
  const claimsNow = newDefault ? `claims that name no class now get ${newDefault}` : "claims that name no class stay Pending (no default class)";
  const away = (STORAGE_DRIVERS as Readonly<Record<string, StorageDriverConcern<string, z.ZodType> | undefined>>)[from];
  lines.push(away ? away.driver.switchedAway(to, claimsNow) : `storage.driver ${from} -> ${to}: ${claimsNow}; existing claims keep their class.`);
  return lines;
}
