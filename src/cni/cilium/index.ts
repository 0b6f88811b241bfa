/** Cilium: its config fragment (schema.ts), its rules (rules.ts) and its chart values and objects (values.ts). */
export * from "./schema";
export * from "./rules";
export * from "./values";
