import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { SiteConfig } from "../../src/config/site";
import { jobsOf, verifyPlan } from "../../src/verify/jobs";
import { JOB_DEADLINE } from "../../src/verify/pins";
import { TYPE } from "../../src/type-tokens";
import { switchDeferral } from "../../src/verify/switching";

export interface VerifyArgs {
  readonly config: SiteConfig;
  /** The site's Kubernetes provider. */
  readonly provider: k8s.Provider;
  /**
   * Hetzner sites: the load balancer's public addresses, which the edge check calls.
   * @default - none: the edge check calls the nodes (and a LoadBalancer Service's address when there is one)
   */
  readonly loadBalancerAddresses?: pulumi.Input<string[]>;
  /**
   * The ingress controllers this run switches between (src/ingress/switch.ts): the checks of the ingress wait for
   * the next run (src/verify/switching.ts).
   * @default - no switch: every check runs
   */
  readonly ingressSwitch?: { readonly from: string; readonly to: string };
  /** The site's other components: the checks run once they are all in place. */
  readonly dependsOn: pulumi.Input<pulumi.Resource>[];
}

/**
 * The site's checks (src/verify/jobs.ts): the k3s-sites-verify namespace with its policies, RBAC, scripts and echo
 * servers, then one Job per check, each awaited by Pulumi: a failed check fails the `up`. Nothing when `verify` is
 * false.
 */
export class Verify extends pulumi.ComponentResource {
  /** The digest in the Jobs' names: it changes, and the checks rerun, when the site changes. */
  readonly digest?: pulumi.Output<string>;

  constructor(name: string, args: VerifyArgs, opts?: pulumi.ComponentResourceOptions) {
    super(TYPE.verify, name, {}, opts);
    const { config, provider } = args;
    const all = jobsOf(config);
    const deferral = args.ingressSwitch ? switchDeferral(config, all, args.ingressSwitch.from, args.ingressSwitch.to) : undefined;
    if (deferral) pulumi.log.warn(deferral.why, this);
    const jobs = all.filter((job) => !deferral?.jobs.includes(job));
    if (jobs.length === 0) {
      this.registerOutputs({});
      return;
    }
    const plan = pulumi
      .output(args.loadBalancerAddresses ?? [])
      .apply((addresses) => verifyPlan({ config, loadBalancerAddresses: addresses }));
    const objects = new k8s.yaml.v2.ConfigGroup(
      `${name}-objects`,
      { objs: plan.apply((p) => p.objects) },
      { parent: this, provider, dependsOn: args.dependsOn },
    );
    for (const key of jobs) {
      const job = plan.apply((p) => p.jobs[key]!);
      new k8s.batch.v1.Job(
        `${name}-${key}`,
        { metadata: job.apply((j) => j.metadata), spec: job.apply((j) => j.spec as k8s.types.input.batch.v1.JobSpec) },
        // After the echo DaemonSet is ready and the policies are in; Pulumi waits for the Job to complete.
        { parent: this, provider, dependsOn: [objects], customTimeouts: { create: `${JOB_DEADLINE + 60}s`, update: `${JOB_DEADLINE + 60}s` } },
      );
    }
    this.digest = plan.apply((p) => p.digest);
    this.registerOutputs({ digest: this.digest });
  }
}
