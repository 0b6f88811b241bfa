# shellcheck shell=bash
# k3s-sites verification: what every check script shares. Each check prints one line per check,
#   ok   <check>: expected <what>, saw <what>
#   FAIL <check>: expected <what>, saw <what>; likely cause: <what to look at>
#   skip <check>: <why it does not apply>
# and the script exits 1 when any line is FAIL, which fails its Job and with it the pulumi up. A check names where
# it looked (node, address, port) in <check>. Every check that connects retries within a bounded time
# (until_ok): a new pod's address and policies take a moment to reach every node.
# The values come from the Job's environment (src/verify/jobs.ts), never control flow.

FAILURES=0

# result <check> <expected> <seen> <status> [likely cause]: status 0 is a pass; a failure names its likely cause.
result() {
  if [ "$4" -eq 0 ]; then
    printf 'ok   %s: expected %s, saw %s\n' "$1" "$2" "$3"
  else
    printf 'FAIL %s: expected %s, saw %s%s\n' "$1" "$2" "$3" "${5:+; likely cause: $5}"
    FAILURES=$((FAILURES + 1))
  fi
}

# now: the clock until_ok reads, in seconds.
now() {
  date +%s
}

# BUDGET (seconds, from the Job's environment, below its activeDeadlineSeconds): every wait of the script ends by
# then, so the script prints its last line before the Job is killed, however many targets it has.
END_BY=$(($(now) + ${BUDGET:-86400}))

# until_ok <timeout> <interval> <command...>: runs the command until it succeeds or <timeout> seconds have passed
# on the clock (the tries' own time counts, not only the sleeps between them), and never past BUDGET; 0 when it
# succeeded. A try that starts before the deadline runs to its end: the bound is <timeout> plus one try.
until_ok() {
  local limit="$1" every="$2" end left
  shift 2
  end=$(($(now) + limit))
  [ "$end" -gt "$END_BY" ] && end="$END_BY"
  while :; do
    "$@" && return 0
    left=$((end - $(now)))
    [ "$left" -le 0 ] && return 1
    if [ "$left" -lt "$every" ]; then sleep "$left"; else sleep "$every"; fi
  done
}

# skip <check> <reason>: a check that does not apply to this site, and why (not a failure).
skip() {
  printf 'skip %s: %s\n' "$1" "$2"
}

# is <command...>: 0 when the command succeeds, else 1 (a status for result).
is() {
  if "$@"; then echo 0; else echo 1; fi
}

# finish: the exit status of the script.
finish() {
  if [ "$FAILURES" -gt 0 ]; then
    printf '%s check(s) failed\n' "$FAILURES"
    exit 1
  fi
  exit 0
}

# lookup <name> <A|AAAA>: the addresses the cluster DNS gives for a name, one a line, searched like a pod does.
lookup() {
  dig +short +search +time=2 +tries=2 "$1" "$2" | grep -E '^[0-9a-fA-F:.]+$' || true
}

# api_get <path>: GET from the Kubernetes API with the pod's service account.
api_get() {
  local sa="${SERVICE_ACCOUNT_DIR:-/var/run/secrets/kubernetes.io/serviceaccount}"
  curl -sS -m 10 --cacert "$sa/ca.crt" -H "Authorization: Bearer $(cat "$sa/token")" "https://kubernetes.default.svc$1"
}

# ready_status: the status of the Ready condition of the object on stdin ("True", "False", or "none").
ready_status() {
  jq -r '[.status.conditions[]? | select(.type == "Ready") | .status][0] // "none"' 2>/dev/null || echo none
}

# words <list>: the list with its words joined by single spaces, or "none".
words() {
  local joined
  joined="$(printf '%s\n' "$@" | sed '/^$/d' | tr '\n' ' ' | sed 's/ $//')"
  printf '%s' "${joined:-none}"
}
