/**
 * Hetzner Cloud API requests that `pulumi up` spends through @pulumi/hcloud 1.41.0, as data: what each create
 * calls, read from the provider it bridges (hetznercloud/terraform-provider-hcloud v1.68.0, which embeds
 * hcloud-go v2.47.0; see upstream/SOURCES.md, "hetzner API calls", for how the version was found).
 *
 * Only the server is modelled call by call: it is the one resource whose count grows with the site. The site-wide
 * resources get a flat estimate (create, wait, read), marked as such.
 */

/** How the provider waits for an action: hcloud `Provider` args `pollInterval` and `pollFunction`. */
export interface PollSettings {
  /** Seconds before the first poll and, for "exponential", the base. @default 0.5 - provider's `poll_interval` "500ms" */
  readonly intervalSeconds: number;
  /** @default "exponential" - provider's `poll_function`: waits base * 2^n, capped at 60 s */
  readonly fn: "exponential" | "constant";
}

/** terraform-provider-hcloud v1.68.0 hcloud/provider.go: poll_interval "500ms", poll_function "exponential". */
export const PROVIDER_DEFAULT_POLL: PollSettings = { intervalSeconds: 0.5, fn: "exponential" };
/**
 * The poll settings of an hcloud Provider, from its recorded inputs `pollInterval` (a Go duration such as "500ms" or
 * "2s", as the provider parses it with time.ParseDuration) and `pollFunction`; the provider's defaults where unset.
 */
export function pollSettingsOf(providerInputs: Readonly<Record<string, unknown>> | undefined): PollSettings {
  const interval = providerInputs?.pollInterval;
  const fn = providerInputs?.pollFunction;
  const match = typeof interval === "string" ? /^(\d+(?:\.\d+)?)(ms|s)$/.exec(interval) : null;
  return {
    intervalSeconds: match ? Number(match[1]) / (match[2] === "ms" ? 1000 : 1) : PROVIDER_DEFAULT_POLL.intervalSeconds,
    fn: fn === "constant" || fn === "exponential" ? fn : PROVIDER_DEFAULT_POLL.fn,
  };
}

/** hcloud-go v2.47.0 hcloud/client.go ExponentialBackoff: multiplier 2 (provider.go), cap one minute. */
const EXPONENTIAL_CAP_SECONDS = 60;

/** Seconds the waiter sleeps before poll number `n` (0-based): hcloud-go's BackoffFunc(retries). */
export function pollWait(n: number, poll: PollSettings): number {
  if (poll.fn === "constant") return poll.intervalSeconds;
  return Math.min(EXPONENTIAL_CAP_SECONDS, poll.intervalSeconds * 2 ** n);
}

/**
 * GET /actions requests the waiter sends for one action that runs `seconds`, and when it sees it finish.
 * hcloud-go v2.47.0 hcloud/action_waiter.go WaitForFunc: an action already finished in the response costs no poll;
 * otherwise it sleeps pollBackoffFunc(retries) before every poll (line 47), one list request per 25 actions.
 */
export function pollsFor(seconds: number, poll: PollSettings): { polls: number; seenAfter: number } {
  if (seconds <= 0) return { polls: 0, seenAfter: 0 };
  let t = 0;
  let polls = 0;
  while (t < seconds) {
    t += pollWait(polls, poll);
    polls += 1;
  }
  return { polls, seenAfter: t };
}

/** Assumed run time of Hetzner actions, seconds (not in any source: typical figures, stated in docs/performance.md). */
export const ACTION_SECONDS = {
  create_server: 12,
  start_server: 5,
  attach_to_network: 2,
  change_protection: 0.5,
} as const;

export interface ApiCall {
  readonly what: string;
  readonly requests: number;
  /** Seconds this call adds to the server's creation (request round trips and waits). */
  readonly seconds: number;
  /** Why the provider makes it, with the source line. */
  readonly source: string;
  /** What would remove it, or why nothing can. */
  readonly avoidable: string;
}

/** One round trip to api.hetzner.cloud, seconds (an assumption). */
export const REQUEST_SECONDS = 0.15;

const RS = "terraform-provider-hcloud v1.68.0 internal/server/resource.go";

export interface ServerShape {
  /** The server has delete/rebuild protection (control-plane servers on a protected site). */
  readonly protect: boolean;
  readonly placementGroup: boolean;
  readonly network: boolean;
  readonly sshKeys: number;
}

function waited(what: string, seconds: number, poll: PollSettings, source: string, avoidable: string): ApiCall {
  const { polls, seenAfter } = pollsFor(seconds, poll);
  return { what: `poll ${what}`, requests: polls, seconds: seenAfter, source, avoidable };
}

/** Every request resourceServerCreate sends for one server, in order. */
export function serverCreateCalls(shape: ServerShape, poll: PollSettings = PROVIDER_DEFAULT_POLL): ApiCall[] {
  const call = (what: string, source: string, avoidable: string): ApiCall => ({
    what,
    requests: 1,
    seconds: REQUEST_SECONDS,
    source,
    avoidable,
  });
  const calls: ApiCall[] = [
    call(
      "GET /server_types?name=",
      `${RS}:311 ServerType.Get (a name is a list request, an ID one GET)`,
      "no: the provider looks the type up to pick the image's architecture, by name or by ID",
    ),
    call(
      "GET /images?name=&architecture=",
      `${RS}:322 Image.GetForArchitecture`,
      "no: the provider resolves the image before every create",
    ),
  ];
  for (let i = 0; i < shape.sshKeys; i++) {
    calls.push(
      call(
        "GET /ssh_keys/{id}",
        `${RS}:381,1111 getSSHkeys: one SSHKey.Get per key`,
        "only by creating the server without SSH keys (Hetzner then mails a root password): not acceptable",
      ),
    );
  }
  if (shape.placementGroup) {
    calls.push(
      call(
        "GET /placement_groups/{id}",
        `${RS}:402 getPlacementGroup`,
        "only by dropping spread placement groups",
      ),
    );
  }
  calls.push(call("POST /servers", `${RS}:440 Server.Create`, "no"));
  calls.push(
    waited(
      "create_server",
      ACTION_SECONDS.create_server,
      poll,
      `${RS}:459 Action.WaitFor(res.Action)`,
      "fewer with a longer or constant pollInterval, at the cost of up to one interval of latency",
    ),
  );
  calls.push(
    waited(
      "start_server",
      ACTION_SECONDS.start_server,
      poll,
      `${RS}:463 WaitFor each of res.NextActions (start_server), after the create action`,
      "as above",
    ),
  );
  if (shape.network) {
    calls.push(
      call(
        "POST /servers/{id}/actions/attach_to_network",
        "terraform-provider-hcloud v1.68.0 internal/server/common.go:32 attachServerToNetwork, from resource.go:473",
        "no while the server keeps its planned private IP: the provider never passes networks to POST /servers, " +
          "and Hetzner's create call takes network IDs only (it picks the address)",
      ),
    );
    calls.push(
      waited(
        "attach_to_network",
        ACTION_SECONDS.attach_to_network,
        poll,
        "terraform-provider-hcloud v1.68.0 internal/server/common.go:51",
        "as above",
      ),
    );
  }
  if (shape.protect) {
    calls.push(
      call(
        "POST /servers/{id}/actions/change_protection",
        `${RS}:511,1407 setProtection, only when delete or rebuild protection is on`,
        "only by leaving Hetzner-side protection off (Pulumi's protect stays)",
      ),
    );
    calls.push(
      waited("change_protection", ACTION_SECONDS.change_protection, poll, `${RS}:1417`, "as above"),
    );
  }
  calls.push(
    call("GET /servers/{id}", `${RS}:517,525 resourceServerRead at the end of the create`, "no"),
  );
  return calls;
}

export function total(calls: readonly ApiCall[]): { requests: number; seconds: number } {
  return calls.reduce((a, c) => ({ requests: a.requests + c.requests, seconds: a.seconds + c.seconds }), {
    requests: 0,
    seconds: 0,
  });
}

/**
 * Site-wide resources, a flat estimate each (create, poll its actions, read): not derived call by call.
 * Types not listed cost nothing at Hetzner.
 */
export const FLAT_REQUESTS: Readonly<Record<string, number>> = {
  "hcloud:index/network:Network": 2,
  "hcloud:index/networkSubnet:NetworkSubnet": 3,
  "hcloud:index/networkRoute:NetworkRoute": 3,
  "hcloud:index/sshKey:SshKey": 2,
  "hcloud:index/firewall:Firewall": 3,
  "hcloud:index/placementGroup:PlacementGroup": 2,
  "hcloud:index/loadBalancer:LoadBalancer": 5,
  "hcloud:index/loadBalancerNetwork:LoadBalancerNetwork": 4,
  "hcloud:index/loadBalancerTarget:LoadBalancerTarget": 4,
  "hcloud:index/loadBalancerService:LoadBalancerService": 4,
};

export const SERVER_TYPE = "hcloud:index/server:Server";
