import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  DEFAULT_SERVER_TYPE,
  SCAFFOLD_K3S_VERSION,
  checkServerType,
  operatorCidr,
  parseHost,
  publicKeyLine,
  scaffoldSections,
  scaffoldText,
  secretCommands,
  type Answers,
} from "../../../plan/init/scaffold";
import { serverType } from "../../../src/hetzner/types";
import { exampleSections } from "../../helpers";
import { planOfSections } from "../run";
import { parse } from "yaml";

const KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJ1Rh0sK8m3xq0pYb7vYk5Vq2gS0fN8cQe4tTnYc0kLm me@laptop";

const hetzner = (over: Partial<Extract<Answers, { kind: "hetzner" }>> = {}): Answers => ({
  kind: "hetzner",
  stack: "cloud",
  location: "fsn1",
  servers: 3,
  serverType: DEFAULT_SERVER_TYPE,
  agents: 2,
  agentServerType: DEFAULT_SERVER_TYPE,
  operatorCidrs: ["203.0.113.7/32"],
  sshPublicKey: KEY,
  k3sVersion: SCAFFOLD_K3S_VERSION,
  ...over,
});

const nuc = { name: "nuc", address: "192.168.1.10", privateIp: "192.168.1.10", user: "admin", role: "server", arch: "amd64" } as const;
const pi = { name: "pi", address: "192.168.1.21", privateIp: "192.168.1.21", user: "pi", role: "agent", arch: "arm64" } as const;
const home = (over: Partial<Extract<Answers, { kind: "ssh" }>> = {}): Answers => ({
  kind: "ssh",
  stack: "home",
  networkCidr: "192.168.1.0/24",
  hosts: [nuc],
  k3sVersion: SCAFFOLD_K3S_VERSION,
  ...over,
});

describe("npm run init's stack files", () => {
  const variants: [string, Answers][] = [
    ["hetzner, 3 servers and 2 agents (the defaults)", hetzner()],
    ["hetzner, one server and no agents, with an email and an IPv6 operator", hetzner({ servers: 1, agents: 0, email: "me@example.com", operatorCidrs: ["2001:db8::7/128"] })],
    ["ssh, one host", home()],
    [
      "ssh, two hosts behind a jump host, with a LoadBalancer pool",
      home({
        hosts: [nuc, { ...pi, jumpHost: { address: "nuc.lan", user: "admin", port: 2222 } }],
        loadBalancerPool: "192.168.1.240/28",
        email: "me@example.com",
      }),
    ],
  ];
  for (const [name, answers] of variants) {
    it(`plans through the real program: ${name}`, async () => {
      const run = await planOfSections(scaffoldSections(answers), answers.stack);
      const nodes = run.outputs.nodes as { name: string }[];
      const expected = answers.kind === "hetzner" ? answers.servers + answers.agents : answers.hosts.length;
      assert.equal(nodes.length, expected);
    });
  }

  it("writes the sections under the k3s-sites namespace, with a header and no secret", () => {
    const text = scaffoldText(hetzner(), "./schema/stack-config.json");
    assert.match(text, /^# yaml-language-server: \$schema=\.\/schema\/stack-config\.json\n/);
    const doc = parse(text) as { config: Record<string, unknown> };
    assert.deepEqual(Object.keys(doc.config), ["k3s-sites:site", "k3s-sites:k3s", "k3s-sites:cni"]);
    assert.doesNotMatch(text, /token|PRIVATE|secure:/);
  });

  it("starts on the k3s release the examples are planned with", () => {
    assert.equal(SCAFFOLD_K3S_VERSION, (exampleSections("prod").k3s as { version: string }).version);
  });

  it("suggests a server type Hetzner takes orders for, and refuses one it does not with the replacement", () => {
    assert.equal(serverType(DEFAULT_SERVER_TYPE)?.status, "orderable");
    assert.equal(checkServerType("cpx32"), undefined);
    assert.equal(checkServerType("cx23"), "server type cx23 cannot be ordered today (not-orderable): use cpx22 (2 vCPU, 4 GB)");
    assert.match(checkServerType("cx99") ?? "", /^server type "cx99" is not one k3s-sites knows: choose one of cpx22, cpx32$/);
  });

  it("prints the exact commands for the secrets each kind needs, and invents none", () => {
    assert.deepEqual(secretCommands(hetzner(), "~/.ssh/id_ed25519"), [
      "pulumi config set --secret --stack cloud hcloud:token    # a read/write API token of the Hetzner Cloud project",
      "pulumi config set --secret --stack cloud k3s-sites:sshPrivateKey < ~/.ssh/id_ed25519",
    ]);
    assert.deepEqual(secretCommands(home(), "~/.ssh/id_rsa", "/srv/sites/Pulumi.home.yaml"), [
      "pulumi config set --secret --stack home --config-file /srv/sites/Pulumi.home.yaml k3s-sites:sshPrivateKey < ~/.ssh/id_rsa",
    ]);
  });
});

describe("npm run init's answers", () => {
  it("takes a bare operator address as a /32 or /128, and refuses what is neither address nor CIDR, naming it", () => {
    assert.deepEqual(operatorCidr("203.0.113.7"), { cidr: "203.0.113.7/32" });
    assert.deepEqual(operatorCidr("2001:db8::1"), { cidr: "2001:db8::1/128" });
    assert.deepEqual(operatorCidr("203.0.113.0/24"), { cidr: "203.0.113.0/24" });
    assert.match((operatorCidr("my-laptop") as { error: string }).error, /^operator address "my-laptop" is neither/);
  });

  it("reads a host's fields with defaults, and names the field it does not know", () => {
    assert.deepEqual(parseHost("name=pi,address=192.168.1.21,arch=arm64,jump=admin@nuc.lan:2222", "agent"), {
      name: "pi",
      address: "192.168.1.21",
      privateIp: "192.168.1.21",
      user: "root",
      role: "agent",
      arch: "arm64",
      jumpHost: { address: "nuc.lan", user: "admin", port: 2222 },
    });
    assert.match((parseHost("name=pi,adress=192.168.1.21", "agent") as { error: string }).error, /"adress=192.168.1.21" is not one of name=, address=/);
    assert.match((parseHost("name=pi,address=pi.lan", "agent") as { error: string }).error, /address pi.lan is not an IPv4 address: add privateIp=/);
  });

  it("refuses a public key without its type, naming where it came from and how it starts", () => {
    const body = KEY.split(" ")[1]!;
    assert.equal(
      (publicKeyLine(`${body} me@laptop\n`, "--ssh-public-key ~/.ssh/k.pub") as { error: string }).error,
      '--ssh-public-key ~/.ssh/k.pub holds "AAAAC3NzaC1lZDI1...", which lacks its key type: the line must start with it, e.g. ssh-ed25519 AAAAC3... you@laptop, as ssh-keygen writes it',
    );
    assert.deepEqual(publicKeyLine(`${KEY}\n`, "k.pub"), { key: KEY });
  });

  it("refuses a private key without showing it", () => {
    const secret = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n";
    const error = (publicKeyLine(secret, "--ssh-public-key ~/.ssh/id_ed25519") as { error: string }).error;
    assert.match(error, /^--ssh-public-key ~\/\.ssh\/id_ed25519 is a private key: give the public key/);
    assert.doesNotMatch(error, /b3BlbnNz/);
  });
});
