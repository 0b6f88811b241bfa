// One of the processes `npm test` runs: see test/support/shards.ts.
import { runShard } from "../support/shards";

runShard(__filename);
