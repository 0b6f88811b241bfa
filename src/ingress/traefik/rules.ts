/** Traefik's rules: its TCP routes name entry points the site has; ingress.config (nginx's ConfigMap) is not its. */
import type { Problem } from "../../config/problems";
import { isHetzner, type SiteConfig } from "../../config/site";
import { TRAEFIK_ENTRY_POINTS } from "./names";
import type { TraefikSettings } from "./schema";

/** The problems of a Traefik site; `settings` is its ingress.traefik section. */
export function traefikProblems(config: SiteConfig, settings: TraefikSettings): Problem[] {
  const problems: Problem[] = [];
  const services = isHetzner(config.site) ? config.site.loadBalancer.services : [];
  services.forEach((s, i) => {
    if ((TRAEFIK_ENTRY_POINTS as readonly string[]).includes(s.name)) {
      problems.push({
        path: `site.loadBalancer.services[${i}].name`,
        message: `${JSON.stringify(s.name)} is the name of one of Traefik's own entry points (${TRAEFIK_ENTRY_POINTS.join(", ")}); choose another name, e.g. ${s.name}-tcp`,
      });
    }
  });
  const names = services.map((s) => s.name);
  settings.tcpRoutes.forEach((r, i) => {
    if (!names.includes(r.entryPoint)) {
      problems.push({
        path: `ingress.traefik.tcpRoutes[${i}].entryPoint`,
        message: `${JSON.stringify(r.entryPoint)} is not an extra TCP port of the site (${names.length > 0 ? `site.loadBalancer.services: ${names.join(", ")}` : "site.loadBalancer.services lists none"}); name one of them, or add it to site.loadBalancer.services`,
      });
    }
  });
  for (const [key, value] of Object.entries(config.ingress.config)) {
    problems.push({
      path: `ingress.config.${key}`,
      message: `${JSON.stringify(value)}: ingress.config holds keys of nginx's ConfigMap, and ingress.controller is traefik; remove it (Traefik's options go on IngressRoutes and Middlewares)`,
    });
  }
  return problems;
}
