import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { JOB_DEADLINE } from "../../src/verify/pins";
import { storageCheckNamespace, storageCheckPlan, type StorageCheckInput } from "../../src/storage/verify";
import { TYPE } from "../../src/type-tokens";

export interface StorageCheckArgs {
  readonly config: StorageCheckInput;
  /** networkPolicies.defaultDeny: whether the site's policies isolate the check's namespace. */
  readonly isolated: boolean;
  /** The site's Kubernetes provider. */
  readonly provider: k8s.Provider;
  /** The storage driver and its StorageClasses. */
  readonly dependsOn: pulumi.Input<pulumi.Resource>[];
}

const timeouts = { create: `${JOB_DEADLINE + 60}s`, update: `${JOB_DEADLINE + 60}s` };

/**
 * The storage check (src/storage/verify.ts): its script and claim, the writing Job, then the reading Job, each
 * awaited by Pulumi, so a failed one fails the `up`. Nothing when the checks are off or the site has no driver.
 */
export class StorageCheck extends pulumi.ComponentResource {
  constructor(name: string, args: StorageCheckArgs, opts?: pulumi.ComponentResourceOptions) {
    super(TYPE.storageCheck, name, {}, opts);
    const plan = storageCheckPlan(args.config);
    if (plan) {
      const child = { parent: this, provider: args.provider };
      // The claim is not awaited (skipAwait): with WaitForFirstConsumer it binds only once the writer's pod runs.
      const namespace = new k8s.yaml.v2.ConfigGroup(`${name}-namespace`, { objs: [storageCheckNamespace(args.isolated) as never] }, { ...child, dependsOn: args.dependsOn });
      const objects = new k8s.yaml.v2.ConfigGroup(`${name}-objects`, { objs: plan.objects as never[], skipAwait: true }, { ...child, dependsOn: [namespace, ...args.dependsOn] });
      const job = (key: "write" | "read", after: pulumi.Resource) => {
        const j = plan[key];
        return new k8s.batch.v1.Job(
          `${name}-${key}`,
          { metadata: j.metadata as k8s.types.input.meta.v1.ObjectMeta, spec: j.spec as k8s.types.input.batch.v1.JobSpec },
          { ...child, dependsOn: [after], customTimeouts: timeouts },
        );
      };
      job("read", job("write", objects));
    }
    this.registerOutputs({});
  }
}
