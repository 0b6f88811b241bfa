import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { clone, exampleSections, hetznerSections, problemsOf, sshSections } from "../helpers";

/** The Hetzner fixture changed by `edit`. */
function hetzner(edit: (raw: ReturnType<typeof hetznerSections>) => void) {
  const raw = clone(hetznerSections());
  edit(raw);
  return raw;
}

function ssh(edit: (raw: ReturnType<typeof sshSections>) => void) {
  const raw = clone(sshSections());
  edit(raw);
  return raw;
}

describe("cross-field rules", () => {
  it("accepts the fixtures", () => {
    assert.deepEqual(problemsOf(hetznerSections()), []);
    assert.deepEqual(problemsOf(sshSections()), []);
  });

  it("rejects overlapping service and cluster CIDRs", () => {
    assert.deepEqual(problemsOf(hetzner((r) => (r.k3s.serviceCidr = "10.42.0.0/16"))), [
      "k3s.serviceCidr 10.42.0.0/16 overlaps k3s.clusterCidr 10.42.0.0/16: choose disjoint ranges, e.g. 10.43.0.0/16",
    ]);
  });

  it("rejects a pod range that overlaps the node network", () => {
    assert.deepEqual(problemsOf(hetzner((r) => (r.k3s.clusterCidr = "10.0.0.0/16"))), [
      "site.network.cidr 10.0.0.0/16 overlaps k3s.clusterCidr 10.0.0.0/16: choose disjoint ranges, e.g. 10.1.0.0/16",
    ]);
  });

  it("rejects a load-balancer pool that overlaps the service range", () => {
    const raw = ssh((r) => {
      r.cni = { cilium: { loadBalancerPools: ["10.43.0.0/28"] } };
    });
    assert.deepEqual(problemsOf(raw), [
      "cni.cilium.loadBalancerPools[0] 10.43.0.0/28 overlaps k3s.serviceCidr 10.43.0.0/16: choose disjoint ranges",
    ]);
  });

  it("rejects a range Calico advertises for Services that overlaps the pods' or the Services' own", () => {
    const raw = clone(exampleSections("multisite"));
    raw.cni.calico.bgp = { ...raw.cni.calico.bgp, serviceLoadBalancerIPs: ["10.43.200.0/24"], serviceExternalIPs: ["10.42.7.0/24"] };
    assert.deepEqual(problemsOf(raw), [
      "cni.calico.bgp.serviceLoadBalancerIPs[0] 10.43.200.0/24 overlaps k3s.serviceCidr 10.43.0.0/16: choose disjoint ranges",
      "cni.calico.bgp.serviceExternalIPs[0] 10.42.7.0/24 overlaps k3s.clusterCidr 10.42.0.0/16: choose disjoint ranges",
    ]);
  });

  it("rejects a load-balancer pool that holds a node's address", () => {
    const raw = ssh((r) => {
      r.cni = { cilium: { loadBalancerPools: ["192.168.1.16/28"] } };
    });
    assert.deepEqual(problemsOf(raw), [
      "cni.cilium.loadBalancerPools[0] 192.168.1.16/28 holds node pi's address 192.168.1.21: pick a range of free addresses, outside your DHCP range",
    ]);
  });

  it("rejects an L2-announced pool outside the LAN", () => {
    const raw = ssh((r) => {
      r.cni = { cilium: { loadBalancerPools: ["10.99.0.0/28"], l2Announcements: { interfaces: ["eth0"] } } };
    });
    assert.deepEqual(problemsOf(raw), [
      "cni.cilium.loadBalancerPools[0] 10.99.0.0/28 is outside site.network.cidr 192.168.1.0/24: L2 announcements answer ARP on the LAN, so the pool must be free addresses of that LAN",
    ]);
  });

  it("rejects cluster DNS outside the service CIDR", () => {
    assert.deepEqual(problemsOf(hetzner((r) => (r.k3s.clusterDns = "10.42.0.10"))), [
      "k3s.clusterDns 10.42.0.10 is outside k3s.serviceCidr 10.43.0.0/16: pick an address inside it, or leave clusterDns unset for the 10th address",
    ]);
  });

  it("rejects an even server count", () => {
    assert.deepEqual(problemsOf(hetzner((r) => (r.site.pools[0].count = 2))), [
      "site.pools has 2 nodes with role server: etcd needs an odd number to keep a quorum; use 1 or 3",
    ]);
  });

  it("rejects a site without servers", () => {
    assert.deepEqual(problemsOf(ssh((r) => (r.site.hosts[0].role = "agent"))), [
      "site.hosts has 0 nodes with role server: a site needs 1 server, or 3, 5 or 7 for high availability",
    ]);
  });

  it("rejects sqlite with several servers", () => {
    assert.deepEqual(problemsOf(hetzner((r) => (r.k3s.datastore = "sqlite"))), [
      'k3s.datastore "sqlite" supports one server, and site.pools has 3: use 1 server, or remove k3s.datastore (etcd, the default) with 3 servers',
    ]);
  });

  it("gives sqlite with two servers one hint, not an odd count for etcd besides", () => {
    assert.deepEqual(
      problemsOf(
        hetzner((r) => {
          r.k3s.datastore = "sqlite";
          r.site.pools[0].count = 2;
        }),
      ),
      ['k3s.datastore "sqlite" supports one server, and site.pools has 2: use 1 server, or remove k3s.datastore (etcd, the default) with 1 or 3 servers'],
    );
  });

  it("rejects duplicate node names and addresses", () => {
    const raw = ssh((r) => {
      r.site.hosts.push({ ...r.site.hosts[1], address: "192.168.1.30" });
    });
    assert.deepEqual(problemsOf(raw), [
      "site.hosts[2].name pi is also used by site.hosts[1] (pi): node names must be unique",
      "site.hosts[2].privateIp 192.168.1.21 is also used by site.hosts[1] (pi): each host needs its own private address",
    ]);
  });

  // Each pool's subnet is the resource site-hetzner-subnet-<pool>, beside the load balancer's site-hetzner-subnet-edge:
  // a pool named edge registered two resources with one URN, which the offline plan took and Pulumi refuses.
  it("rejects a pool named like the load balancer's subnet", () => {
    assert.deepEqual(problemsOf(hetzner((r) => (r.site.pools[1].name = "edge"))), [
      'site.pools[1].name "edge" is the name of the load balancer\'s subnet, and each pool\'s subnet is named after its pool: choose another pool name, e.g. edge-nodes',
    ]);
  });

  it("rejects duplicate pool names", () => {
    const raw = hetzner((r) => {
      r.site.pools[1].name = "control";
      r.site.pools[1].subnet = "10.0.9.0/24";
    });
    assert.deepEqual(problemsOf(raw), [
      'site.pools[1].name "control" is also the name of site.pools[0]: pool names must be unique',
    ]);
  });

  it("rejects a node address outside its network", () => {
    assert.deepEqual(problemsOf(ssh((r) => (r.site.hosts[1].privateIp = "192.168.2.21"))), [
      "site.hosts[1].privateIp 192.168.2.21 is outside site.network.cidr 192.168.1.0/24: use the host's address on that network, or widen site.network.cidr",
    ]);
  });

  it("rejects more nodes than a subnet holds", () => {
    const raw = hetzner((r) => {
      r.site.pools[1].subnet = "10.0.9.0/28";
      r.site.pools[1].count = 9;
    });
    assert.deepEqual(problemsOf(raw), [
      "site.pools[1].count 9 nodes do not fit in pool worker's subnet 10.0.9.0/28, which holds 5: lower the count or give the pool a larger subnet",
    ]);
  });

  it("rejects a location outside the network zone", () => {
    assert.deepEqual(problemsOf(hetzner((r) => (r.site.networkZone = "us-east"))), [
      'site.networkZone "us-east" does not contain site.location "fsn1", which is in "eu-central": set site.networkZone to eu-central, or leave it unset',
    ]);
  });

  it("rejects dual-stack without IPv6 ranges or IPv6 node addresses", () => {
    assert.deepEqual(problemsOf(ssh((r) => (r.k3s.ipFamilies = "dual-stack"))), [
      "k3s.clusterCidrV6 is required when k3s.ipFamilies is dual-stack: set an IPv6 range, e.g. fd00:42::/56",
      "k3s.serviceCidrV6 is required when k3s.ipFamilies is dual-stack: set an IPv6 range, e.g. fd00:43::/112",
      "site.hosts[0].privateIpv6 is required when k3s.ipFamilies is dual-stack: k3s refuses a dual-stack cluster whose node nuc has only an IPv4 node-ip; set the host's IPv6 address on the LAN",
      "site.hosts[1].privateIpv6 is required when k3s.ipFamilies is dual-stack: k3s refuses a dual-stack cluster whose node pi has only an IPv4 node-ip; set the host's IPv6 address on the LAN",
    ]);
  });

  it("rejects dual-stack on Hetzner, whose private networks carry IPv4 only", () => {
    const raw = hetzner((r) => Object.assign(r.k3s, { ipFamilies: "dual-stack", clusterCidrV6: "fd00:42::/56", serviceCidrV6: "fd00:43::/112" }));
    assert.deepEqual(problemsOf(raw), [
      "k3s.ipFamilies dual-stack is not possible on a hetzner site: Hetzner private networks carry IPv4 only, and k3s needs an IPv6 node address on the network its nodes talk over. Use ipv4 (the load balancer still has a public IPv6)",
    ]);
  });

  it("rejects dual-stack with Canal, which runs one IPv4 network", () => {
    const raw = ssh((r) => {
      Object.assign(r.k3s, { ipFamilies: "dual-stack", clusterCidrV6: "fd00:42::/56", serviceCidrV6: "fd00:43::/112" });
      r.site.hosts.forEach((h: { privateIpv6?: string }, i: number) => (h.privateIpv6 = `fd00:1::${i + 1}`));
      r.cni = { plugin: "canal" };
    });
    assert.deepEqual(problemsOf(raw), [
      "cni.plugin canal does not support k3s.ipFamilies dual-stack here: the Canal manifest runs Calico with IPv6 off and Flannel on one IPv4 network. Use cni.plugin cilium for a dual-stack site, or k3s.ipFamilies ipv4",
    ]);
  });

  it("rejects a Calico version without a pinned or configured digest", () => {
    assert.deepEqual(problemsOf(hetzner((r) => (r.cni = { canal: { version: "v3.30.0" } }))), [
      "cni.canal.version v3.30.0 has no pinned canal.yaml digest in k3s-sites (pinned: v3.31.7, v3.32.1): use a pinned version, or set cni.canal.sha256 to the sha256 of that release's manifests/canal.yaml",
    ]);
    assert.deepEqual(problemsOf(hetzner((r) => (r.cni = { canal: { version: "v3.30.0", sha256: "a".repeat(64) } }))), []);
  });

  it("rejects S3 snapshot uploads without embedded etcd", () => {
    const raw = ssh((r) => Object.assign(r.k3s, { datastore: "sqlite", etcdSnapshots: { s3: { bucket: "snaps" } } }));
    assert.deepEqual(problemsOf(raw), [
      "k3s.etcdSnapshots sets s3, but k3s.datastore is sqlite, which has no etcd to snapshot: remove k3s.etcdSnapshots, or use datastore etcd (the default)",
    ]);
  });

  it("rejects IPv6 ranges on an IPv4 cluster and an oversized IPv6 service range", () => {
    assert.deepEqual(problemsOf(ssh((r) => (r.k3s.clusterCidrV6 = "fd00:42::/56"))), [
      "k3s.clusterCidrV6 fd00:42::/56 is set but k3s.ipFamilies is ipv4: set k3s.ipFamilies to dual-stack, or remove clusterCidrV6",
    ]);
    const raw = ssh((r) => {
      Object.assign(r.k3s, { ipFamilies: "dual-stack", clusterCidrV6: "fd00:42::/56", serviceCidrV6: "fd00:43::/64" });
      r.site.hosts.forEach((h: { privateIpv6?: string }, i: number) => (h.privateIpv6 = `fd00:1::${i + 1}`));
    });
    assert.deepEqual(problemsOf(raw), [
      "k3s.serviceCidrV6 fd00:43::/64 is too large: Kubernetes allows IPv6 service ranges of /108 or smaller, e.g. fd00:43::/112",
    ]);
  });

  it("rejects SSH and the API open to the world unless allowWorld is set", () => {
    const open = hetzner((r) => (r.site.operatorCidrs = ["::/0", "203.0.113.7/32", "0.0.0.0/0"]));
    assert.deepEqual(problemsOf(open), [
      "site.operatorCidrs[0] ::/0 opens SSH and the Kubernetes API to the whole internet: list your own addresses (e.g. 203.0.113.7/32), or set site.allowWorld: true if you really mean it",
      "site.operatorCidrs[2] 0.0.0.0/0 opens SSH and the Kubernetes API to the whole internet: list your own addresses (e.g. 203.0.113.7/32), or set site.allowWorld: true if you really mean it",
    ]);
    open.site.allowWorld = true;
    assert.deepEqual(problemsOf(open), []);
  });

  it("rejects L2 announcements on Hetzner and Cilium settings with Canal", () => {
    const raw = hetzner((r) => {
      r.cni = { plugin: "canal", cilium: { loadBalancerPools: ["10.0.250.0/28"], l2Announcements: { interfaces: ["eth0"] } } };
    });
    assert.deepEqual(problemsOf(raw), [
      "cni.cilium.l2Announcements does not work on Hetzner Cloud, whose private network is routed and answers no ARP between servers: remove it; the Hetzner load balancer carries outside traffic",
      "cni.cilium sets loadBalancerPools, l2Announcements, but cni.plugin is canal, so they would do nothing: remove cni.cilium, or set cni.plugin: cilium (only on a new site: the CNI is fixed at creation)",
    ]);
  });

  it("accepts certificates without an email: an ACME account needs no contact", () => {
    assert.deepEqual(problemsOf(hetzner((r) => delete r.certificates)), []);
  });

  it("rejects a load-balancer port used twice, a reused name and a timeout longer than the interval", () => {
    const raw = hetzner((r) => {
      r.site.loadBalancer = {
        healthCheck: { intervalSeconds: 5, timeoutSeconds: 10 },
        services: [
          { name: "smtp", listenPort: 25 },
          { name: "smtp", listenPort: 443 },
        ],
      };
    });
    assert.deepEqual(problemsOf(raw), [
      "site.loadBalancer.services[1].listenPort 443 is already used by the ingress (https): each listen port can be forwarded once",
      'site.loadBalancer.services[1].name "smtp" is already used: give each port its own name',
      "site.loadBalancer.healthCheck.timeoutSeconds 10 is longer than intervalSeconds 5: a check must time out before the next one starts",
    ]);
  });

  it("requires a NAT gateway inside the network when nodes have no public IPv4", () => {
    const noIpv4 = (r: ReturnType<typeof hetznerSections>) => {
      r.site.publicIpv4 = false;
      r.site.operatorCidrs = ["2001:db8:1234::/48"];
    };
    assert.deepEqual(problemsOf(hetzner(noIpv4)), [
      "site.network.natGateway is required when site.publicIpv4 is false: nodes without a public IPv4 need a NAT server in the network (see docs/hetzner.md, 'Nodes without public IPv4'), e.g. 10.0.0.2",
    ]);
    const outside = hetzner((r) => {
      noIpv4(r);
      r.site.network = { natGateway: "10.9.0.2" };
    });
    assert.deepEqual(problemsOf(outside), [
      "site.network.natGateway 10.9.0.2 is outside site.network.cidr 10.0.0.0/16: use the NAT server's private address",
    ]);
    const unused = hetzner((r) => (r.site.network = { natGateway: "10.0.0.2" }));
    assert.deepEqual(problemsOf(unused), [
      "site.network.natGateway 10.0.0.2 is set but site.publicIpv4 is true: remove it, or set site.publicIpv4: false to route outbound traffic through it",
    ]);
  });

  it("reports every problem at once", () => {
    const raw = hetzner((r) => {
      r.k3s.serviceCidr = "10.42.0.0/16";
      r.site.pools[0].count = 4;
      r.site.networkZone = "us-west";
    });
    assert.equal(problemsOf(raw).length, 3);
  });
});

describe("schema problems", () => {
  it("name the key, the value and what is expected", () => {
    const raw = hetzner((r) => {
      r.k3s.version = "1.33";
      r.k3s.clusterCidr = "10.42.0.1/16";
      r.site.pools[0].serverType = "m5.large";
      r.site.location = "fra";
    });
    assert.deepEqual(problemsOf(raw), [
      'site.location "fra" is invalid: expected a Hetzner location: fsn1, nbg1, hel1, ash, hil, sin',
      'site.pools[0].serverType "m5.large" is invalid: expected a Hetzner server type (cx, cpx, ccx: x86; cax: arm64) such as cpx22 or cpx32',
      'k3s.version "1.33" is invalid: expected an exact k3s release such as v1.36.5+k3s1',
      'k3s.clusterCidr "10.42.0.1/16" is invalid: has host bits set: did you mean 10.42.0.0/16?',
    ]);
  });

  it("name missing keys and unknown keys", () => {
    const raw = hetzner((r) => {
      delete r.k3s.version;
      r.site.pool = [];
      r.extra = {};
    });
    assert.deepEqual(problemsOf(raw), [
      'site has unknown key "pool": did you mean "pools"?',
      "k3s.version is required: set it to a string",
      "k3s-sites:extra is not a k3s-sites key: the known keys are k3s-sites:site, k3s-sites:k3s, k3s-sites:cni, k3s-sites:ingress, k3s-sites:certificates, k3s-sites:networkPolicies, k3s-sites:networks, k3s-sites:storage, k3s-sites:verify",
    ]);
  });

  it("refuses an unknown site kind with the choices", () => {
    assert.deepEqual(problemsOf({ site: { kind: "aws" }, k3s: { version: "v1.33.5+k3s1" } }), [
      'site.kind "aws" is invalid: expected kind: hetzner (a new cloud site) or kind: ssh (existing hosts)',
    ]);
  });
});

describe("certificates rules", () => {
  const withDns01 = (dns01: Record<string, unknown>, certificates: Record<string, unknown> = {}) =>
    hetzner((r) => (r.certificates = { email: "ops@example.com", ...certificates, dns01 }));

  it("accepts each DNS-01 provider with its settings", () => {
    for (const dns01 of [
      { provider: "cloudflare" },
      { provider: "digitalocean" },
      { provider: "hetzner" },
      { provider: "route53", route53: { region: "eu-central-1", accessKeyID: "AKIAIOSFODNN7EXAMPLE" } },
      { provider: "rfc2136", rfc2136: { nameserver: "[2001:db8::53]:53", tsigKeyName: "k3s-sites." } },
    ]) {
      assert.deepEqual(problemsOf(withDns01(dns01)), [], JSON.stringify(dns01));
    }
  });

  it("requires region and accessKeyID for route53", () => {
    assert.deepEqual(problemsOf(withDns01({ provider: "route53" })), [
      "certificates.dns01.route53.region is required when certificates.dns01.provider is route53: set the AWS region of the Route 53 API, e.g. eu-central-1",
      "certificates.dns01.route53.accessKeyID is required when certificates.dns01.provider is route53: set the access key ID of an IAM user allowed to change the zone's records, and its secret key with pulumi config set --secret k3s-sites:route53SecretAccessKey",
    ]);
    assert.deepEqual(problemsOf(withDns01({ provider: "route53", route53: { region: "eu-central-1" } })), [
      "certificates.dns01.route53.accessKeyID is required when certificates.dns01.provider is route53: set the access key ID of an IAM user allowed to change the zone's records, and its secret key with pulumi config set --secret k3s-sites:route53SecretAccessKey",
    ]);
  });

  it("requires nameserver and tsigKeyName for rfc2136", () => {
    assert.deepEqual(problemsOf(withDns01({ provider: "rfc2136", rfc2136: {} })), [
      "certificates.dns01.rfc2136.nameserver is required when certificates.dns01.provider is rfc2136: set the DNS server that accepts dynamic updates, e.g. 192.0.2.53:53",
      "certificates.dns01.rfc2136.tsigKeyName is required when certificates.dns01.provider is rfc2136: set the name of the TSIG key the server accepts updates with, and its secret with pulumi config set --secret k3s-sites:rfc2136TsigSecret",
    ]);
  });

  it("rejects settings of a provider that is not the chosen one", () => {
    const raw = withDns01({ provider: "cloudflare", rfc2136: { nameserver: "192.0.2.53:53", tsigKeyName: "k." } });
    assert.deepEqual(problemsOf(raw), [
      "certificates.dns01.rfc2136 is set but certificates.dns01.provider is cloudflare: remove it, or set the provider to rfc2136",
    ]);
  });

  it("checks nothing while certificates are off, and needs no email otherwise", () => {
    assert.deepEqual(problemsOf(hetzner((r) => (r.certificates = { enabled: false, dns01: { provider: "route53" } }))), []);
    assert.deepEqual(problemsOf(hetzner((r) => (r.certificates = { dns01: { provider: "hetzner" } }))), []);
  });

  it("names the expected form of a malformed provider setting", () => {
    const raw = withDns01({
      provider: "rfc2136",
      rfc2136: { nameserver: "2001:db8::53", tsigKeyName: "k.", tsigAlgorithm: "hmac-sha256" },
    });
    assert.deepEqual(problemsOf(raw), [
      'certificates.dns01.rfc2136.nameserver "2001:db8::53" is invalid: expected host:port such as 192.0.2.53:53 or ns1.example.com:53, with an IPv6 address in brackets: [2001:db8::53]:53',
      'certificates.dns01.rfc2136.tsigAlgorithm "hmac-sha256" is invalid: did you mean HMACSHA256? expected HMACMD5, HMACSHA1, HMACSHA256, HMACSHA512',
    ]);
    assert.deepEqual(problemsOf(withDns01({ provider: "route53", route53: { region: "Frankfurt", accessKeyID: "AKIAIOSFODNN7EXAMPLE" } })), [
      'certificates.dns01.route53.region "Frankfurt" is invalid: expected an AWS region such as eu-central-1',
    ]);
  });
});
