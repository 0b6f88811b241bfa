/**
 * npm run schema: regenerates schema/stack-config.json and the config reference in docs/configuration.md from the zod
 * schema. Tests fail while either is stale.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { configReference, stackFileJsonSchema } from "../src/config/json-schema";
import { CONFIG_REFERENCE_PATH, README_MARKERS, replaceBetweenMarkers } from "../src/config/readme";

const root = join(__dirname, "..");
writeFileSync(join(root, "schema/stack-config.json"), `${JSON.stringify(stackFileJsonSchema(), null, 2)}\n`);
const referencePath = join(root, CONFIG_REFERENCE_PATH);
writeFileSync(referencePath, replaceBetweenMarkers(readFileSync(referencePath, "utf8"), README_MARKERS, configReference()));
console.log(`wrote schema/stack-config.json and the config reference in ${CONFIG_REFERENCE_PATH}`);
