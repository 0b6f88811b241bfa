#!/usr/bin/env bash
# k3s-sites verification: a claim keeps its data. The write pod writes TOKEN to a file on the claim; a second pod,
# started after the first has ended, mounts the same claim (on Hetzner, after the volume was detached from the first
# pod's node and attached again) and must read TOKEN back. Lines as the other checks print them (src/verify/lib.sh):
#   ok   <check>: expected <what>, saw <what>
#   FAIL <check>: expected <what>, saw <what>; likely cause: <what to look at>
# and exit 1 on a FAIL, which fails the Job and with it the pulumi up.
# Environment: MODE (write or read), TOKEN, CLAIM (for the messages), NODE_NAME, DATA_DIR (the claim's mount).
set -u
file="$DATA_DIR/k3s-sites-storage-check"
check="storage $CLAIM on $NODE_NAME"

case "$MODE" in
  write)
    earlier="$(cat "$file" 2>/dev/null || true)"
    # A rerun finds what the previous run wrote: the claim outlived its pods and the Jobs of the previous run.
    [ -n "$earlier" ] && printf 'info %s: the claim still holds %s from an earlier run\n' "$check" "$earlier"
    if printf '%s\n' "$TOKEN" >"$file.new" && sync "$file.new" && mv "$file.new" "$file" && sync "$DATA_DIR"; then
      printf 'ok   %s: expected to write %s, wrote it\n' "$check" "$TOKEN"
    else
      printf 'FAIL %s: expected to write %s, saw the write fail; likely cause: the volume is read-only or full, or the pod cannot write it (fsGroup)\n' "$check" "$TOKEN"
      exit 1
    fi
    ;;
  read)
    seen="$(cat "$file" 2>/dev/null || true)"
    if [ "$seen" = "$TOKEN" ]; then
      printf 'ok   %s: expected %s written by the previous pod, saw it\n' "$check" "$TOKEN"
    else
      printf 'FAIL %s: expected %s written by the previous pod, saw %s; likely cause: the claim was bound to a new volume, or the volume did not keep the write (kubectl -n k3s-sites-verify-storage describe pvc %s)\n' \
        "$check" "$TOKEN" "${seen:-nothing}" "$CLAIM"
      exit 1
    fi
    ;;
  *)
    printf 'FAIL %s: expected MODE write or read, saw %s; likely cause: a bug in k3s-sites (src/storage/verify.ts)\n' "$check" "$MODE"
    exit 1
    ;;
esac
