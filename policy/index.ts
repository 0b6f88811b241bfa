/** The k3s-sites policy pack: `pulumi preview --policy-pack policy`. The rules are in rules.ts, the policies in pack.ts. */
import { PolicyPack } from "@pulumi/policy";
import { POLICIES } from "./pack";

new PolicyPack("k3s-sites", { policies: POLICIES });
