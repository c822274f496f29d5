import { disconnectInspectorSessions, trackInspectorSessions } from "./inspector-sessions";

/**
 * Jest setup (jest.config.js `setupFilesAfterEnv`), run in every test file's module registry:
 * inspector sessions the file opens (Pulumi's function serialization) are disconnected when it
 * ends, instead of piling up in the worker until it exits (see inspector-sessions.ts).
 */
trackInspectorSessions();
afterAll(() => disconnectInspectorSessions());
