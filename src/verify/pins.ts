/**
 * The checks' image and deadline, in a module of their own so that a part's own check (src/storage/verify.ts) uses
 * the same ones without importing the whole verification (and, through it, the registry).
 */
/**
 * nicolaka/netshoot v0.16 (github.com/nicolaka/netshoot, Dockerfile at tag v0.16, commit eb23f93): Alpine 3.24.1
 * with bash, curl (with --haproxy-protocol), jq, bind-tools (dig), netcat-openbsd (nc -z -w) and socat: every tool
 * the scripts use, in one image, built for amd64 and arm64 (.github/workflows/release-buildx.yml). It is not small
 * (a few hundred MB); busybox and curl-only images lack dig, jq or socat.
 *
 * Pinned by digest, so a re-pushed tag cannot change what the checks run: the tag stays for the reader, the
 * container runtime pulls by the digest. The digest is the one public projects pin for v0.16 (upstream/SOURCES.md,
 * "Images", says where it was read and what could not be checked here: no registry is reachable).
 */
export const VERIFY_IMAGE = "nicolaka/netshoot:v0.16@sha256:b09d9b21381f47a79b3cbcb30da25266dc17186ea00ae65e99fdc51396f48e70";

/** How long a check's Job may run (activeDeadlineSeconds), inside Pulumi's 10 minutes. */
export const JOB_DEADLINE = 540; // seconds
