/**
 * The networkPolicies section of the stack config schema: the declared apps and their traffic, from which
 * src/policy/network-policies.ts writes the NetworkPolicies. src/config/schema.ts places it under networkPolicies.
 */
import { z } from "zod";
import { appNetworkSchema } from "../multus/schema";
import { cidr, dnsLabel, port } from "../config/fields";

/** A Kubernetes label name, with an optional DNS-subdomain prefix: `app`, `app.kubernetes.io/name`. */
const labelKey = z
  .string()
  .regex(
    /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/,
    { message: "expected a label name such as app or app.kubernetes.io/name" },
  )
  .refine((key) => !key.includes("/") || key.indexOf("/") <= 253, {
    message: "expected a label prefix of at most 253 characters",
  });

const labelValue = z.string().regex(/^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/, {
  message: "expected a label value: at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit",
});

const protocol = z.enum(["TCP", "UDP"], { message: "expected TCP or UDP" }).default("TCP");

const appPort = z.strictObject({
  port: port().meta({ description: "The port the app's pods listen on (the container port, not a Service port)." }),
  protocol,
  name: z
    .string()
    .regex(/^(?=.{1,15}$)(?=.*[a-z])(?!.*--)[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, {
      message: "expected a port name such as http or smtp: at most 15 lower-case letters, digits and '-'",
    })
    .optional()
    .meta({ description: "A name for the port, e.g. http or smtp." }),
});

const peerPort = z.strictObject({ port: port(), protocol });

/** A peer names exactly one kind of caller or callee: one entry, one rule, one thing to read in a review. */
function exactlyOne<T extends Record<string, unknown>>(keys: readonly (keyof T & string)[]) {
  return (peer: T, ctx: z.RefinementCtx) => {
    const set = keys.filter((k) => peer[k] !== undefined);
    if (set.length !== 1) {
      ctx.addIssue({
        code: "custom",
        input: peer,
        message: `${set.length === 0 ? "names no peer" : `sets ${set.join(" and ")}`}: set exactly one of ${keys.join(", ")}`,
      });
    }
  };
}

const fromPeer = z
  .strictObject({
    app: dnsLabel().optional().meta({ description: "Another app's name, from networkPolicies.apps." }),
    ingress: z
      .literal(true, { message: "expected true, or leave the key out" })
      .optional()
      .meta({ description: "The site's ingress controller (ingress.controller), for apps that Ingresses or routes go to." }),
    nginx: z
      .literal(true, { message: "expected true, or leave the key out" })
      .optional()
      .meta({ description: "The same as ingress: true (its older name, from when nginx was the only controller)." }),
    loadBalancer: z
      .literal(true, { message: "expected true, or leave the key out" })
      .optional()
      .meta({
        description:
          "Hetzner sites: the load balancer's private address, the source of what it forwards (e.g. mail ports).",
      }),
    cidr: cidr().optional().meta({ description: "Addresses outside the cluster, e.g. 192.168.1.0/24." }),
  })
  .superRefine(exactlyOne(["app", "ingress", "nginx", "loadBalancer", "cidr"]))
  // One name downstream: the site's ingress, whichever controller it is.
  .transform(({ nginx, ...peer }) => (nginx ? { ...peer, ingress: true as const } : peer));

const toPeer = z
  .strictObject({
    app: dnsLabel().optional().meta({ description: "Another app's name, from networkPolicies.apps." }),
    dns: z
      .literal(true, { message: "expected true, or leave the key out" })
      .optional()
      .meta({ description: "CoreDNS, port 53 over UDP and TCP." }),
    cidr: cidr().optional().meta({ description: "Addresses outside the cluster, e.g. an SMTP relay 198.51.100.25/32." }),
    ports: z
      .array(peerPort)
      .min(1, { message: "list at least one port, e.g. [{port: 587}], or leave ports out" })
      .optional()
      .meta({ description: "Required with cidr. With app: a subset of its ports. Default: all the app's ports." }),
  })
  .superRefine(exactlyOne(["app", "dns", "cidr"]));

const app = z
  .strictObject({
    name: dnsLabel().meta({ description: "The app's name, unique in the site; other apps refer to it by name." }),
    namespace: dnsLabel().meta({ description: "The app's namespace. With defaultDeny it gets default-deny and DNS like every managed one." }),
    podSelector: z
      .record(labelKey, labelValue)
      .refine((labels) => Object.keys(labels).length > 0, {
        message: "selects every pod of the namespace: list the app's own labels, e.g. {app: web}",
      })
      .optional()
      .meta({ description: "Labels of the app's pods. Default: {app: <name>}." }),
    ports: z.array(appPort).default([]).meta({ description: "Ports the app's pods accept calls on." }),
    from: z
      .array(fromPeer)
      .default([])
      .meta({ description: "Who may call the app, on its ports. Default: no one." }),
    networks: z
      .array(appNetworkSchema)
      .default([])
      .meta({ description: "Multus networks the app's pods attach to (outside every NetworkPolicy). Default: none." }),
    to: z
      .array(toPeer)
      .default([])
      .meta({
        description:
          "What the app may call. Default: nothing (with defaultDeny, DNS stays open to every pod of a managed namespace).",
      }),
    manifest: z
      .string()
      .min(1, { message: "expected a file name, or leave manifest out" })
      .optional()
      .meta({
        description:
          "A YAML file of the app's own objects (its StatefulSet or Deployment, Service, ...), relative to the k3s-sites " +
          "folder (where index.ts is) or absolute, which the program applies in the app's namespace after its policies and volumes. Default: none (you " +
          "deploy the app yourself).",
      }),
    secrets: z
      .array(
        z.strictObject({
          name: dnsLabel().meta({ description: "The Secret's name, as the manifest refers to it." }),
          keys: z
            .array(z.string().regex(/^[-._a-zA-Z0-9]+$/, { message: "expected a Secret key such as password" }))
            .min(1, { message: "list at least one key, e.g. [password]" }),
        }),
      )
      .default([])
      .meta({
        description:
          "Secrets the program makes in the app's namespace for its manifest: each key a random 32-character value, " +
          "kept in the stack's state and shown nowhere. A value stays while its entry does: removing the entry or " +
          "renaming the app deletes the Secret, and a new entry makes a new value. Default: none.",
      }),
  })
  .transform((a) => ({ ...a, podSelector: a.podSelector ?? { app: a.name } }));

export const networkPoliciesSchema = z.strictObject({
  defaultDeny: z
    .boolean()
    .default(true)
    .meta({ description: "Deny all traffic in managed namespaces except what is declared." }),
  apps: z
    .array(app)
    .default([])
    .meta({
      description:
        "Apps and their traffic. Each becomes a NetworkPolicy: its pods accept calls only from `from`, on its " +
        "ports, and reach only `to`.",
    }),
});

export type AppConfig = z.output<typeof app>;
