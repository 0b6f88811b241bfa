/**
 * The storage concerns' names: the slot a storage driver registers in (src/concerns/registry.ts, STORAGE;
 * components/concerns.ts, STORAGE_COMPONENTS). None yet. Adding one: its folder src/storage/<name>/ with its
 * concern.ts, its name here, its fragment in the stack config schema, and one line in each registry.
 */
export const STORAGE_NAMES = [] as const;

/** A storage concern's name. */
export type StorageName = (typeof STORAGE_NAMES)[number];
