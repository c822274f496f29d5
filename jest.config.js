/**
 * Jest runs TypeScript through ts-jest, transpiling only (tsconfig sets isolatedModules);
 * `npm run typecheck` does the type checking once for the whole project.
 */
const os = require("os");

module.exports = {
    // Many suites wait on child processes and local servers: two workers pay off even on 2 cores.
    maxWorkers: Math.max(2, os.cpus().length - 1),
    testEnvironment: "node",
    roots: ["<rootDir>/tests"],
    testMatch: ["**/*.test.ts"],
    transform: { "^.+\\.ts$": ["ts-jest", { diagnostics: false }] },
    testTimeout: 30000,
    // Disconnects the inspector sessions a test file opened (Pulumi's function serialization) when
    // it ends; left connected, they keep every file's modules alive until the worker exits.
    setupFilesAfterEnv: ["<rootDir>/tests/support/close-inspector-sessions.ts"],
};
