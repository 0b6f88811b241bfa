/**
 * The storage check: a claim on the site's default driver keeps what a pod wrote. A first Job writes a token to the
 * claim and ends; a second Job, created once the first has completed (Pulumi awaits a Job's Complete condition,
 * src/verify/jobs.ts), mounts the same claim in a new pod and reads the token back. On Hetzner the second pod may
 * land on another node, so the volume is detached and attached again on the way. Either Job failing fails the `up`
 * (backoffLimit 0, as every check). Like the other checks it reruns only when what it exercises changes.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { isolationLabels } from "../policy/objects";
import { JOB_DEADLINE, VERIFY_IMAGE } from "../verify/pins";
import { storageDriverOf } from "../concerns/registry";
import type { StorageConfig } from "./section";
import type { KubernetesObject } from "../kubernetes/object";

/** What the check reads of the site. */
export interface StorageCheckInput {
  readonly storage: StorageConfig;
  readonly verify: boolean;
}

export interface StorageCheckPlan {
  /** The script's ConfigMap and the claim, before the Jobs. */
  readonly objects: readonly KubernetesObject[];
  /** In order: the writer, then the reader. */
  readonly write: KubernetesObject;
  readonly read: KubernetesObject;
  readonly claim: string;
}

export { STORAGE_CHECK_NAMESPACE, runsStorageCheck } from "./check-scope";
import { STORAGE_CHECK_NAMESPACE, runsStorageCheck } from "./check-scope";

const LABELS = { "app.kubernetes.io/part-of": "k3s-sites", "app.kubernetes.io/component": "verify", "k3s-sites/check": "storage" } as const;
const SCRIPT_CONFIG_MAP = "verify-storage-script";
const DATA_DIR = "/data";

/** The check script, as committed. */
export function storageCheckScript(dir = __dirname): string {
  return readFileSync(join(dir, "check.sh"), "utf8");
}

/** The claim's class and size, from the site's driver; undefined without one. */
function checkClass(storage: StorageConfig): { readonly className: string; readonly size: string } | undefined {
  return storageDriverOf(storage)?.driver.checkClaim(storage);
}

/** The storage check, or undefined when the checks are off or the site has no storage driver. */
export function storageCheckPlan(config: StorageCheckInput, script = storageCheckScript()): StorageCheckPlan | undefined {
  const target = checkClass(config.storage);
  if (!runsStorageCheck(config) || !target) return undefined;
  // A claim per driver: its class cannot change in place.
  const claim = `verify-storage-${config.storage.driver}`;
  const digest = createHash("sha256").update(JSON.stringify({ target, script, image: VERIFY_IMAGE })).digest("hex").slice(0, 10);
  const meta = (name: string) => ({ name, namespace: STORAGE_CHECK_NAMESPACE, labels: { ...LABELS } });
  const objects: KubernetesObject[] = [
    { apiVersion: "v1", kind: "ConfigMap", metadata: meta(SCRIPT_CONFIG_MAP), data: { "check.sh": script } },
    {
      apiVersion: "v1",
      kind: "PersistentVolumeClaim",
      metadata: meta(claim),
      spec: { accessModes: ["ReadWriteOnce"], storageClassName: target.className, resources: { requests: { storage: target.size } } },
    },
  ];
  const job = (mode: "write" | "read"): KubernetesObject => ({
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: { ...meta(`verify-storage-${mode}-${digest}`), annotations: { "pulumi.com/replaceUnready": "true" } },
    spec: {
      backoffLimit: 0,
      activeDeadlineSeconds: JOB_DEADLINE,
      template: {
        metadata: { labels: { ...LABELS } },
        spec: {
          restartPolicy: "Never",
          automountServiceAccountToken: false,
          // fsGroup: the kubelet gives the volume's files to this group (CSIDriver fsGroupPolicy File on Hetzner;
          // local-path's directories are created 0777), so the non-root user can write.
          securityContext: { runAsNonRoot: true, runAsUser: 65534, runAsGroup: 65534, fsGroup: 65534, seccompProfile: { type: "RuntimeDefault" } },
          containers: [
            {
              name: `storage-${mode}`,
              image: VERIFY_IMAGE,
              command: ["bash", "/verify/check.sh"],
              env: [
                { name: "MODE", value: mode },
                { name: "TOKEN", value: digest },
                { name: "CLAIM", value: claim },
                { name: "DATA_DIR", value: DATA_DIR },
                { name: "NODE_NAME", valueFrom: { fieldRef: { fieldPath: "spec.nodeName" } } },
              ],
              workingDir: "/tmp",
              securityContext: {
                allowPrivilegeEscalation: false,
                readOnlyRootFilesystem: true,
                capabilities: { drop: ["ALL"] },
                seccompProfile: { type: "RuntimeDefault" },
              },
              resources: { requests: { cpu: "10m", memory: "32Mi" }, limits: { memory: "128Mi" } },
              volumeMounts: [
                { name: "script", mountPath: "/verify", readOnly: true },
                { name: "data", mountPath: DATA_DIR },
              ],
            },
          ],
          volumes: [
            { name: "script", configMap: { name: SCRIPT_CONFIG_MAP, defaultMode: 0o555 } },
            { name: "data", persistentVolumeClaim: { claimName: claim } },
          ],
        },
      },
    },
  });
  return { objects, write: job("write"), read: job("read"), claim };
}

/** The check's namespace as the program creates it: isolated when the site isolates its namespaces. */
export function storageCheckNamespace(isolated: boolean): KubernetesObject {
  return { apiVersion: "v1", kind: "Namespace", metadata: { name: STORAGE_CHECK_NAMESPACE, labels: isolationLabels(isolated) } };
}
