// Pulumi runs the exported function and uses what it returns as the stack outputs.
import { main } from "./program/main";

export = main;
