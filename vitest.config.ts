import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // The CLI and serve run as processes from src/ compiled once (test/support/build-for-tests.ts).
    globalSetup: ["test/support/build-for-tests.ts"],
    // Integration tests share one Redis and one PostgreSQL server (each test isolates itself by
    // queue prefix and database name); two workers fit the 2-core machine.
    maxWorkers: 2,
    // A worker runs its files one after the other in one module graph instead of importing Bolt,
    // the AWS SDK and PGlite again for each file (a third of the suite's time). So a file must
    // leave no global state behind: environment changes go through vi.stubEnv and are undone in
    // afterAll, stores are the file's own.
    isolate: false,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // No test may reach for the EC2 instance metadata service when it has no AWS credentials.
    env: { AWS_EC2_METADATA_DISABLED: "true" },
  },
});
