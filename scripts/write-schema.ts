import { writeFile } from "node:fs/promises";
import { policyJsonSchemaText } from "../src/policy/json-schema.js";

/** Regenerates docs/workflow.schema.json from the zod schema (a test fails when it is stale). */
await writeFile(new URL("../docs/workflow.schema.json", import.meta.url), policyJsonSchemaText());
console.log("wrote docs/workflow.schema.json");
