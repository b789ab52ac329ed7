import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // The CLI and serve run as processes from src/ compiled once (test/support/build-for-tests.ts).
    globalSetup: ["test/support/build-for-tests.ts"],
    // Integration tests share one Redis and one PostgreSQL server (each test isolates itself by
    // queue prefix and database name); two workers fit the 2-core machine.
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // No test may reach for the EC2 instance metadata service when it has no AWS credentials.
    env: { AWS_EC2_METADATA_DISABLED: "true" },
  },
});
