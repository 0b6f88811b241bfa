/**
 * One test per provider fact in plan/replacements.ts (sources: upstream/SOURCES.md, section "providers"). A changed
 * table fails here, to be checked against the provider's code at the pinned version.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  COMMAND_REPLACE_ON,
  HCLOUD_POWER_OFF_ON,
  HCLOUD_REPLACE_ON,
  KUBERNETES_FORCE_NEW,
  RANDOM_REPLACE_ON,
  kubernetesReplaceOn,
  kubernetesTypeOf,
  pathCovers,
  providerReplaceOn,
} from "../../plan/replacements";

describe("hcloud (terraform-provider-hcloud v1.66.1 .. v1.68.0)", () => {
  it("a server is replaced for a new image, location, user data or SSH key list, and nothing else", () => {
    assert.deepEqual([...HCLOUD_REPLACE_ON["hcloud:index/server:Server"]!].sort(), ["image", "location", "sshKeys", "userData"]);
    for (const inPlace of ["serverType", "publicNets", "networks", "placementGroupId", "labels", "name", "deleteProtection"]) {
      assert.ok(!providerReplaceOn("hcloud:index/server:Server", {}).some((p) => pathCovers(p, inPlace)), inPlace);
    }
  });

  it("a server resize and a public network change power the server off", () => {
    assert.deepEqual(HCLOUD_POWER_OFF_ON["hcloud:index/server:Server"], ["serverType", "publicNets"]);
  });

  it("networks, subnets and routes are replaced for their ranges and network; a network's name updates", () => {
    assert.deepEqual(HCLOUD_REPLACE_ON["hcloud:index/network:Network"], ["ipRange"]);
    assert.deepEqual(HCLOUD_REPLACE_ON["hcloud:index/networkSubnet:NetworkSubnet"], ["networkId", "type", "networkZone", "ipRange", "vswitchId"]);
    assert.deepEqual(HCLOUD_REPLACE_ON["hcloud:index/networkRoute:NetworkRoute"], ["networkId", "destination", "gateway"]);
  });

  it("an SSH key is replaced for a new public key; firewalls and placement groups are always updated in place", () => {
    assert.deepEqual(HCLOUD_REPLACE_ON["hcloud:index/sshKey:SshKey"], ["publicKey"]);
    assert.deepEqual(HCLOUD_REPLACE_ON["hcloud:index/firewall:Firewall"], []);
    assert.deepEqual(HCLOUD_REPLACE_ON["hcloud:index/placementGroup:PlacementGroup"], []);
  });

  it("load balancers: replaced for a new location or zone; services for a new listen port or protocol", () => {
    assert.deepEqual(HCLOUD_REPLACE_ON["hcloud:index/loadBalancer:LoadBalancer"], ["location", "networkZone"]);
    assert.deepEqual(HCLOUD_REPLACE_ON["hcloud:index/loadBalancerService:LoadBalancerService"], ["loadBalancerId", "protocol", "listenPort"]);
    assert.deepEqual(HCLOUD_REPLACE_ON["hcloud:index/loadBalancerNetwork:LoadBalancerNetwork"], ["loadBalancerId", "networkId", "subnetId", "ip"]);
    assert.deepEqual(HCLOUD_REPLACE_ON["hcloud:index/loadBalancerTarget:LoadBalancerTarget"], ["loadBalancerId", "serverId", "labelSelector", "ip"]);
    assert.ok(!providerReplaceOn("hcloud:index/loadBalancerService:LoadBalancerService", {}).includes("destinationPort"));
  });
});

describe("@pulumi/command 1.2.1", () => {
  it("replaces a command only for its triggers: a new script is an update", () => {
    assert.deepEqual(COMMAND_REPLACE_ON["command:remote:Command"], ["triggers"]);
  });
});

describe("@pulumi/random (terraform-provider-random f8d869dc)", () => {
  it("replaces a password for any argument", () => {
    for (const arg of ["length", "special", "keepers", "overrideSpecial", "minUpper"]) {
      assert.ok(RANDOM_REPLACE_ON["random:index/randomPassword:RandomPassword"]!.includes(arg), arg);
    }
  });
});

describe("Kubernetes (pulumi-kubernetes diff.go)", () => {
  it("replaces any object whose name or namespace changes", () => {
    assert.deepEqual(kubernetesReplaceOn("networking.k8s.io/v1", "NetworkPolicy"), ["metadata.name", "metadata.namespace"]);
  });

  it("replaces Deployments and DaemonSets for their selector, not their pod template", () => {
    for (const kind of ["Deployment", "DaemonSet"]) {
      const paths = kubernetesReplaceOn("apps/v1", kind);
      assert.ok(paths.some((p) => pathCovers(p, "spec.selector.matchLabels.app")), kind);
      assert.ok(!paths.some((p) => pathCovers(p, "spec.template.spec.containers[0].image")), kind);
    }
  });

  it("replaces a Service for its clusterIP, a Job for its template, a StatefulSet for its claim templates", () => {
    assert.deepEqual(KUBERNETES_FORCE_NEW["v1/Service"], ["spec.clusterIP"]);
    assert.ok(KUBERNETES_FORCE_NEW["batch/v1/Job"]!.includes("spec.template"));
    assert.ok(KUBERNETES_FORCE_NEW["apps/v1/StatefulSet"]!.includes("spec.volumeClaimTemplates"));
  });

  it("replaces ConfigMaps and Secrets for their data (enableConfigMapMutable and enableSecretMutable are off)", () => {
    assert.deepEqual(KUBERNETES_FORCE_NEW["v1/ConfigMap"], ["binaryData", "data"]);
    assert.deepEqual(KUBERNETES_FORCE_NEW["v1/Secret"], ["type", "stringData", "data"]);
    assert.ok(providerReplaceOn("kubernetes:core/v1:ConfigMap", { apiVersion: "v1", kind: "ConfigMap" }).includes("data"));
  });

  it("types core objects as core/v1 and others by their apiVersion", () => {
    assert.equal(kubernetesTypeOf("v1", "ConfigMap"), "kubernetes:core/v1:ConfigMap");
    assert.equal(kubernetesTypeOf("apps/v1", "DaemonSet"), "kubernetes:apps/v1:DaemonSet");
  });
});

describe("pathCovers", () => {
  it("covers a path at, below and above the rule, through list indices, and nothing beside it", () => {
    assert.ok(pathCovers("sshKeys", "sshKeys[0]"));
    assert.ok(pathCovers("spec.selector", "spec.selector.matchLabels.app"));
    assert.ok(pathCovers("spec.selector", "spec"));
    assert.ok(pathCovers("spec.containers[*].image", "spec.containers[2].image"));
    assert.ok(!pathCovers("spec.selector", "spec.template"));
    assert.ok(!pathCovers("ip", "ipRange"));
  });
});
