import { z } from "zod";
import { policyFileSchema } from "./schema.js";

/** The JSON Schema of a policy file, for editors (yaml-language-server) and CI linters. */
export function policyJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(policyFileSchema, { io: "input", target: "draft-2020-12" }) as Record<
    string,
    unknown
  >;
  return {
    ...schema,
    title: "securityhub-governor workflow policy file (workflows/*.yaml)",
  };
}

export function policyJsonSchemaText(): string {
  return `${JSON.stringify(policyJsonSchema(), null, 2)}\n`;
}
