/**
 * k3s's client certificates last 365 days, and k3s renews them only when it starts: the program watches the expiry
 * of the admin kubeconfig it uses and, when it comes near, renews the certificates of every node before anything
 * stops working: each server rotates its certificates (`k3s certificate rotate` with k3s stopped), each agent
 * restarts.
 *
 * k3s facts, read in k3s-io/k3s (the tag v1.33.5+k3s1 was not in the reference store; read at 005499a9 and at the
 * k3s-vip/k3s mirror of master, 2026-03, whose files these parts match):
 * - pkg/daemons/control/deps/deps.go, `expired`: a server regenerates a client certificate at start only when it has
 *   expired or expires within `CertificateRenewDays` (pkg/daemons/config/types.go: 90 at 005499a9; 120 since
 *   0b48e363, 2025-05-02, "Update certification renew alert to 120 days"). A restart alone would leave a server
 *   that joined months after the others with certificates that expire before the next renewal.
 * - pkg/cli/cert/cert.go, `rotate`: backs up and removes every certificate of the server's services (or an agent's),
 *   and marks the listener's for regeneration, so that the next start issues them all anew.
 * - pkg/server/server.go, `StartServer` ends with `writeKubeConfig`, which writes /etc/rancher/k3s/k3s.yaml with the
 *   current client-admin certificate on every start.
 * - pkg/agent/config/config.go, `getKubeletClientCert` and `getKubeletServingCert`: an agent asks its server for new
 *   kubelet certificates on every start, whatever the old ones' expiry.
 * After a renewal every server's certificates expire within minutes of the admin kubeconfig's, so its expiry stands
 * for all of them.
 */
import { X509Certificate } from "node:crypto";
import { parse } from "yaml";

/** The stack output that records when the admin kubeconfig's client certificate expires (an ISO 8601 instant). */
export const KUBECONFIG_EXPIRES_OUTPUT = "kubeconfigExpires";

/** How long before the client certificate's expiry the program restarts k3s to renew it. */
export const RENEW_WITHIN_DAYS = 90;
const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * When the client certificate in a kubeconfig k3s wrote expires, as an ISO 8601 instant; undefined when the
 * kubeconfig holds no readable certificate (the offline plan's placeholder, a token-only user).
 */
export function clientCertificateExpiry(kubeconfig: string): string | undefined {
  let doc: { users?: { user?: { "client-certificate-data"?: unknown } }[] } | null;
  try {
    doc = parse(kubeconfig) as typeof doc;
  } catch {
    return undefined;
  }
  const data = doc?.users?.[0]?.user?.["client-certificate-data"];
  if (typeof data !== "string") return undefined;
  try {
    // k3s writes the client certificate followed by the client CA; the first block is the client's.
    const certificate = new X509Certificate(Buffer.from(data, "base64"));
    return new Date(certificate.validTo).toISOString();
  } catch {
    return undefined;
  }
}

/** A renewal the run carries out: the expiry it renews, as the previous deployment recorded it. */
export interface CertificateRenewal {
  readonly expires: string;
}

/**
 * The renewal this run must carry out, or undefined: due when the previous deployment's admin client certificate
 * expires within RENEW_WITHIN_DAYS of `now`, or has expired. Nothing is due before a deployment has recorded one.
 */
export function renewalDue(expires: unknown, now: Date): CertificateRenewal | undefined {
  if (typeof expires !== "string") return undefined;
  const at = Date.parse(expires);
  if (Number.isNaN(at)) return undefined;
  return at - now.getTime() <= RENEW_WITHIN_DAYS * DAY_MS ? { expires } : undefined;
}
