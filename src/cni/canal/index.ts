/** Canal: its config fragment (schema.ts), its rules (rules.ts) and its customized manifest (manifest.ts). */
export * from "./schema";
export * from "./rules";
export * from "./manifest";
