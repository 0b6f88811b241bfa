/**
 * NGINX Ingress Controller's fragment of the stack config: ingress.config, extra keys of its ConfigMap (nginx.org's
 * ConfigMap keys, not the community ingress-nginx's). Its version is pinned in its concern.
 */
import { z } from "zod";

export const nginxConfigSchema = z.record(z.string(), z.string());
