/**
 * Calico with BGP: its config fragment and the segments of an ssh site (schema.ts), its rules (rules.ts), its
 * customized manifest (manifest.ts), its custom resources (resources.ts) and the routers' side (routers.ts).
 */
export * from "./schema";
export * from "./manifest";
export * from "./resources";
export * from "./routers";
