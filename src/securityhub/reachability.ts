import { GetFindingsCommand, type SecurityHubClient } from "@aws-sdk/client-securityhub";

/** One finding read: the cheapest call that proves the credentials reach Security Hub. */
export async function readOneFinding(client: SecurityHubClient): Promise<number> {
  const answer = await client.send(new GetFindingsCommand({ MaxResults: 1 }));
  return answer.Findings?.length ?? 0;
}
