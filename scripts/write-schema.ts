/**
 * npm run schema: regenerates schema/stack-config.json and the config reference in README.md from the zod schema.
 * Tests fail while either is stale.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { configReference, stackFileJsonSchema } from "../src/config/json-schema";
import { README_MARKERS, replaceBetweenMarkers } from "../src/config/readme";

const root = join(__dirname, "..");
writeFileSync(join(root, "schema/stack-config.json"), `${JSON.stringify(stackFileJsonSchema(), null, 2)}\n`);
const readmePath = join(root, "README.md");
writeFileSync(readmePath, replaceBetweenMarkers(readFileSync(readmePath, "utf8"), README_MARKERS, configReference()));
console.log("wrote schema/stack-config.json and the config reference in README.md");
