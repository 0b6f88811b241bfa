/** The failure sweep's checks (sweep.ts) find what they look for: each on a small case made to fail it. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { PreviewDiff, Step } from "../../plan/diff";
import type { StateResource } from "../../plan/diff-state";
import type { ProgramRun } from "../../plan/engine";
import type { FailedUpdate } from "../../plan/failure";
import { DRAIN_SCRIPT_TEMPLATE, LEAVE_SCRIPT_TEMPLATE, NODE_SCRIPT_TEMPLATE, RESTORE_SCRIPT } from "../../src/k3s/script";
import { deletesInOrder, nothingSkipped, staleConnections, unboundedWaits, type Sweep } from "./sweep";

const step = (name: string, action: Step["action"]): Step => ({ urn: `t::${name}`, type: "t", name, action, changes: [], replaceCauses: [], notes: [] });
const diff = (...steps: Step[]): PreviewDiff => ({ steps, errors: [] });
const failure = (failed: string, completed: string[]): FailedUpdate => ({
  failed: { urn: `t::${failed}`, name: failed, action: "update" },
  completed: completed.map((n) => `t::${n}`),
  inFlight: [],
  notStarted: [],
  stackOutputs: "kept",
  pendingDeletes: [],
  state: { source: "plan", resources: [], outputs: {} },
});
const command = (name: string, connection: string, extra: Partial<StateResource> = {}): StateResource => ({
  urn: `t::${name}`,
  type: "command:remote:Command",
  name,
  custom: true,
  inputs: { connection: { __secretDigest: connection }, delete: "leave" },
  ...extra,
});
const run = (resources: StateResource[]): ProgramRun =>
  ({
    project: "p",
    stack: "s",
    outputs: {},
    outputDependencies: {},
    resources: resources.map((r) => ({ ...r, dependsOn: [], rawInputs: r.inputs, inputs: { ...r.inputs, connection: "[secret]" } })),
  }) as unknown as ProgramRun;

describe("the failure sweep's checks", () => {
  it("bounded waits: a download, a drain, a poll and a blocking start without a limit", () => {
    const script = [
      'curl -sfL -o "$f" "$URL"',
      'curl -sfL --max-time 300 -o "$f" "$URL"',
      'timeout 600 sh "$installer"',
      'kubectl drain "$NODE" --ignore-daemonsets',
      "until ready; do",
      "  sleep 2",
      "done",
      'deadline=$((SECONDS + 60)); until ready; do [ "$SECONDS" -lt "$deadline" ] || exit 1; sleep 2; done',
      'systemctl restart "$SERVICE"',
      'systemctl restart --no-block "$SERVICE"',
      'fail "start it with systemctl start $SERVICE"',
    ].join("\n");
    assert.deepEqual(unboundedWaits(script), [
      "line 1: curl without --max-time",
      "line 4: kubectl without --timeout",
      "line 5: a loop with no deadline",
      "line 9: systemctl restart of k3s without --no-block (TimeoutStartSec=0)",
    ]);
  });

  it("bounded waits: a timeout option of the command itself is not the timeout command", () => {
    const script = [
      'curl -sfL --connect-timeout 30 --retry 3 -o "$2" "$1"',
      'kubectl wait --for=condition=Ready node/a --request-timeout 10s',
      'if ! timeout 60 kubectl wait --for=condition=Ready node/a; then exit 1; fi',
      'ok=1 && timeout "$T" curl -sfL -o "$f" "$URL"',
    ].join("\n");
    assert.deepEqual(unboundedWaits(script), ["line 1: curl without --max-time", "line 2: kubectl without --timeout"]);
  });

  it("bounded waits: the host scripts as they are have none", () => {
    for (const [name, text] of Object.entries({ NODE_SCRIPT_TEMPLATE, DRAIN_SCRIPT_TEMPLATE, LEAVE_SCRIPT_TEMPLATE, RESTORE_SCRIPT })) {
      assert.deepEqual(unboundedWaits(text), [], name);
    }
  });

  it("nothing skipped: a change the failed run did not complete that the retry leaves alone", () => {
    const s = {
      diff: diff(step("a", "update"), step("b", "update")),
      retries: [{ failure: failure("a", []), diff: diff(step("a", "update"), step("b", "same")) }],
    } as unknown as Sweep;
    assert.deepEqual(nothingSkipped(s), ["after update a failed, the retry skips the update of b"]);
  });

  it("deletes in order: a removal that waited for another no longer does", () => {
    // b depends on a: b's removal goes first. In the retry's state the dependency is gone.
    const a = command("a", "k");
    const b = command("b", "k", { dependsOn: ["t::a"] });
    const s = {
      previous: { source: "plan", resources: [a, b], outputs: {} },
      diff: diff(step("a", "delete"), step("b", "delete")),
      retries: [{ failure: failure("x", []), state: { source: "plan", resources: [a, command("b", "k")], outputs: {} }, diff: diff(step("a", "delete"), step("b", "delete")) }],
    } as unknown as Sweep;
    assert.deepEqual(deletesInOrder(s), ["after update x failed, the retry deletes a no later than b"]);
  });

  it("no stale connection: a removal that dials with a key no command of the run uses", () => {
    const old = command("membership-w", "sha256:old");
    const s = {
      previous: { source: "plan", resources: [old], outputs: {} },
      diff: diff(step("membership-w", "delete")),
      run: run([command("node-c", "sha256:new")]),
      retries: [],
    } as unknown as Sweep;
    assert.deepEqual(staleConnections(s), [
      "the unbroken run: the delete of membership-w dials a connection this run no longer uses (its key or address changed)",
    ]);
  });
});
