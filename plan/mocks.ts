/**
 * Plausible outputs for the resources the program registers, so that the real program runs end to end offline.
 * Every resource type and provider function the program uses must be listed here: anything else fails loudly with
 * "Mock not implemented", so a new resource type cannot slip through the plan answered with nonsense.
 */
import type * as pulumi from "@pulumi/pulumi";

type State = Record<string, unknown>;
type MockFn = (args: pulumi.runtime.MockResourceArgs, seq: number) => { id: string; state: State };

/** Hetzner object IDs are numbers; the provider hands them to Pulumi as strings. */
const hcloudId = (seq: number) => String(1_000_000 + seq);

const RESOURCE_MOCKS: Record<string, MockFn> = {
  "hcloud:index/network:Network": (args, seq) => ({ id: hcloudId(seq), state: { ...args.inputs } }),
  "hcloud:index/networkSubnet:NetworkSubnet": (args) => ({
    id: `${String(args.inputs.networkId)}-${String(args.inputs.ipRange)}`,
    state: { ...args.inputs, gateway: "10.0.0.1" },
  }),
};

function kubernetesMock(args: pulumi.runtime.MockResourceArgs): { id: string; state: State } {
  const metadata = (args.inputs.metadata ?? {}) as { name?: string; namespace?: string };
  const name = metadata.name ?? args.name;
  return { id: metadata.namespace ? `${metadata.namespace}/${name}` : name, state: { ...args.inputs } };
}

export class OfflineMocks implements pulumi.runtime.Mocks {
  private seq = 0;

  newResource(args: pulumi.runtime.MockResourceArgs): pulumi.runtime.MockResourceResult {
    this.seq += 1;
    if (!args.custom) {
      // Component resources, ours and remote ones such as yaml/v2.ConfigGroup and helm.sh/v4.Chart.
      return { id: undefined, state: { ...args.inputs } };
    }
    if (args.type.startsWith("pulumi:providers:")) {
      return { id: `${args.name}-provider-id`, state: { ...args.inputs } };
    }
    const mock = RESOURCE_MOCKS[args.type];
    if (mock) return mock(args, this.seq);
    if (args.type.startsWith("kubernetes:")) return kubernetesMock(args);
    throw new Error(`Mock not implemented: resource ${args.type} (${args.name}); add it to plan/mocks.ts`);
  }

  call(args: pulumi.runtime.MockCallArgs): pulumi.runtime.MockCallResult {
    throw new Error(`Mock not implemented: function ${args.token}; add it to plan/mocks.ts`);
  }
}
