/**
 * Plausible outputs for the resources the program registers, so that the real program runs end to end offline.
 * Every resource type and provider function the program uses must be listed here: anything else fails loudly with
 * "Mock not implemented", so a new resource type cannot slip through the plan answered with nonsense.
 */
import type * as pulumi from "@pulumi/pulumi";
import { fnv1a } from "../src/net/plan";
import { REMOTE_COMMAND_TYPE } from "../src/k3s/names";

type State = Record<string, unknown>;
/** `seq` is a number derived from the resource's type and name, so that plans are stable when resources come and go. */
type MockFn = (args: pulumi.runtime.MockResourceArgs, seq: number) => { id: string; state: State };

/** Hetzner object IDs are numbers; the provider hands them to Pulumi as strings. */
const hcloudId = (seq: number) => String(1_000_000 + seq);

/** A stable small number per resource. */
function stableSeq(type: string, name: string): number {
  return fnv1a(`${type}::${name}`) % 1_000_000;
}

/** Public addresses from the documentation ranges (RFC 5737, RFC 3849): plausible, and nobody's. */
const publicIpv4 = (seq: number) => `198.51.100.${(seq % 254) + 1}`;
const publicIpv6 = (seq: number) => `2001:db8:${seq.toString(16)}::1`;

const echo: MockFn = (args, seq) => ({ id: hcloudId(seq), state: { ...args.inputs } });

/**
 * A client certificate as k3s writes one (CN system:admin, O system:masters), made for the offline plan with
 * `openssl req -x509` and its key thrown away. It is valid until 2126, so that no plan ever comes near a renewal
 * (src/cluster/certificates.ts) unless a test says so.
 */
export const SAMPLE_CLIENT_CERTIFICATE_DATA =
  "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUJ1RENDQVYyZ0F3SUJBZ0lVQXJIZFgvYUZuUDRBcG1oaGxpMTdQL0UwUkljd0NnWUlLb1pJemowRUF3SXcKTURFWE1CVUdBMVVFQ2d3T2MzbHpkR1Z0T20xaGMzUmxjbk14RlRBVEJnTlZCQU1NREhONWMzUmxiVHBoWkcxcApiakFnRncweU5qRXlNREl3TXpNd01qbGFHQTh5TVRJMk1URXdPREF6TXpBeU9Wb3dNREVYTUJVR0ExVUVDZ3dPCmMzbHpkR1Z0T20xaGMzUmxjbk14RlRBVEJnTlZCQU1NREhONWMzUmxiVHBoWkcxcGJqQlpNQk1HQnlxR1NNNDkKQWdFR0NDcUdTTTQ5QXdFSEEwSUFCSmZmK3VTWkFwZEE5ZkwwZC9KcGJwTU5oU2YvY0ZVS3RmTnBOWWljWWNmMApiblFYVmgzRUVsT0ZJTFF3RWpjTWdoRkc0VGpiN0Y1djZiQXNDZHVIVytLalV6QlJNQjBHQTFVZERnUVdCQlJYCjkyTXhBZEhRUUs0S0g4RStjWFROMm9QSmZ6QWZCZ05WSFNNRUdEQVdnQlJYOTJNeEFkSFFRSzRLSDhFK2NYVE4KMm9QSmZ6QVBCZ05WSFJNQkFmOEVCVEFEQVFIL01Bb0dDQ3FHU000OUJBTUNBMGtBTUVZQ0lRQ0x5cHZSVGl2bgppbzAzMklCZHYxaXBNVWVSMkMzUkJCcDFBSklBRVEwMkxRSWhBUEROMWJOOUllNS9tcWV0V2p0MHNxcUxpMVAvCi9Xd0xjcWgxZHRVVVFoMTkKLS0tLS1FTkQgQ0VSVElGSUNBVEUtLS0tLQo=";

/** What k3s writes to /etc/rancher/k3s/k3s.yaml, with placeholder credentials but for the client certificate. */
export const SAMPLE_K3S_KUBECONFIG = `apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: UExBQ0VIT0xERVI=
    server: https://127.0.0.1:6443
  name: default
contexts:
- context:
    cluster: default
    user: default
  name: default
current-context: default
kind: Config
preferences: {}
users:
- name: default
  user:
    client-certificate-data: ${SAMPLE_CLIENT_CERTIFICATE_DATA}
    client-key-data: UExBQ0VIT0xERVI=
`;

const RESOURCE_MOCKS: Record<string, MockFn> = {
  "random:index/randomPassword:RandomPassword": (args) => ({
    id: "none",
    state: { ...args.inputs, result: `<random:${args.name}>` },
  }),
  // Bootstrap commands print nothing; the command that reads the kubeconfig prints k3s's file.
  [REMOTE_COMMAND_TYPE]: (args, seq) => ({
    id: `${args.name}-${seq}`,
    state: {
      ...args.inputs,
      stdout: /k3s\.yaml/.test(String(args.inputs.create ?? "")) ? SAMPLE_K3S_KUBECONFIG : "",
      stderr: "",
    },
  }),
  "hcloud:index/network:Network": echo,
  "hcloud:index/networkSubnet:NetworkSubnet": (args) => ({
    // The provider's subnet ID is "<network id>-<ip range>".
    id: `${String(args.inputs.networkId)}-${String(args.inputs.ipRange)}`,
    state: { ...args.inputs, gateway: "10.0.0.1" },
  }),
  "hcloud:index/networkRoute:NetworkRoute": echo,
  "hcloud:index/sshKey:SshKey": (args, seq) => ({
    id: hcloudId(seq),
    state: { ...args.inputs, fingerprint: "00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00" },
  }),
  "hcloud:index/firewall:Firewall": echo,
  "hcloud:index/placementGroup:PlacementGroup": echo,
  "hcloud:index/server:Server": (args, seq) => {
    const publicNet = ((args.inputs.publicNets ?? [{}]) as { ipv4Enabled?: boolean }[])[0] ?? {};
    return {
      id: hcloudId(seq),
      state: {
        ...args.inputs,
        ipv4Address: publicNet.ipv4Enabled === false ? "" : publicIpv4(seq),
        ipv6Address: publicIpv6(seq),
        status: "running",
      },
    };
  },
  "hcloud:index/loadBalancer:LoadBalancer": (args, seq) => ({
    id: hcloudId(seq),
    state: { ...args.inputs, ipv4: publicIpv4(seq), ipv6: publicIpv6(seq) },
  }),
  "hcloud:index/loadBalancerNetwork:LoadBalancerNetwork": echo,
  "hcloud:index/loadBalancerTarget:LoadBalancerTarget": echo,
  "hcloud:index/loadBalancerService:LoadBalancerService": echo,
};

/** A key of the Hetzner project as `hcloud.getSshKeys` lists it. */
export interface MockSshKey {
  readonly id: number;
  readonly name: string;
  readonly fingerprint: string;
  readonly publicKey: string;
  readonly labels: Record<string, string>;
}

/**
 * What the offline Hetzner project already holds before the run: nothing, unless a test puts keys here (and
 * empties it again).
 */
export const OFFLINE_HCLOUD_PROJECT: { sshKeys: MockSshKey[] } = { sshKeys: [] };

/** Provider functions, by token: each answers from the offline project. */
const CALL_MOCKS: Record<string, (inputs: Record<string, unknown>) => Record<string, unknown>> = {
  "hcloud:index/getSshKeys:getSshKeys": (inputs) => {
    if (inputs.withSelector !== undefined) {
      throw new Error("Mock not implemented: hcloud:index/getSshKeys:getSshKeys with withSelector; add it to plan/mocks.ts");
    }
    return { id: "ssh-keys", sshKeys: OFFLINE_HCLOUD_PROJECT.sshKeys.map((k) => ({ ...k, labels: { ...k.labels } })) };
  },
};

function kubernetesMock(args: pulumi.runtime.MockResourceArgs): { id: string; state: State } {
  const metadata = (args.inputs.metadata ?? {}) as { name?: string; namespace?: string };
  const name = metadata.name ?? args.name;
  return { id: metadata.namespace ? `${metadata.namespace}/${name}` : name, state: { ...args.inputs } };
}

export class OfflineMocks implements pulumi.runtime.Mocks {
  /**
   * @param previousOutputs the outputs of the stack's previous deployment, as a StackReference to the stack reads
   *   them. @default {} - a stack that was never deployed
   */
  constructor(private readonly previousOutputs: Readonly<Record<string, unknown>> = {}) {}

  newResource(args: pulumi.runtime.MockResourceArgs): pulumi.runtime.MockResourceResult {
    if (args.type === "pulumi:pulumi:StackReference") {
      return {
        id: String(args.inputs.name),
        state: { name: args.inputs.name, outputs: { ...this.previousOutputs }, secretOutputNames: [] },
      };
    }
    if (!args.custom) {
      // Component resources, ours (registered with no inputs) and remote ones such as yaml/v2.ConfigGroup and
      // helm.sh/v4.Chart. The engine gives a remote component the outputs its provider's Construct returns (for
      // these two, `resources`), never its inputs back; echoing them cost two more protobuf conversions of the
      // largest inputs of a plan (Canal's CRDs alone are 178 KB), a fifth of a plan's CPU.
      return { id: undefined, state: {} };
    }
    if (args.type.startsWith("pulumi:providers:")) {
      return { id: `${args.name}-provider-id`, state: { ...args.inputs } };
    }
    const mock = RESOURCE_MOCKS[args.type];
    if (mock) return mock(args, stableSeq(args.type, args.name));
    if (args.type.startsWith("kubernetes:")) return kubernetesMock(args);
    throw new Error(`Mock not implemented: resource ${args.type} (${args.name}); add it to plan/mocks.ts`);
  }

  call(args: pulumi.runtime.MockCallArgs): pulumi.runtime.MockCallResult {
    const mock = CALL_MOCKS[args.token];
    if (mock) return mock(args.inputs as Record<string, unknown>);
    throw new Error(`Mock not implemented: function ${args.token}; add it to plan/mocks.ts`);
  }
}
