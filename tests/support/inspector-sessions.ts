import * as inspector from "inspector";

/**
 * Inspector sessions opened while one test file runs, so they can be disconnected when it ends.
 *
 * Pulumi's function serialization (dynamic providers: the readiness gates, the rollout) connects
 * an inspector session with the debugger enabled and keeps it for the life of its copy of the SDK;
 * under jest every test file loads its own copy. A connected session belongs to the worker process,
 * not to the file: it keeps the file's whole module graph alive, receives a `Debugger.scriptParsed`
 * event for every script the later files compile, and is only torn down when the worker exits,
 * which with a dozen of them takes longer than jest's 500 ms grace ("A worker process has failed to
 * exit gracefully and has been force exited").
 *
 * `inspector` is a core module, shared by every test file's realm, so the original `connect` is
 * kept on the prototype under a registry symbol: a file that never reached its teardown cannot
 * leave a wrapper around a wrapper behind.
 */

const ORIGINAL_CONNECT = Symbol.for("platform.tests.inspector.Session.connect");
type Connect = (this: inspector.Session) => void;
type Prototype = inspector.Session & { [ORIGINAL_CONNECT]?: Connect };

const opened = new Set<inspector.Session>();

/** From now on, remember every session that connects (until `disconnectInspectorSessions`). */
export function trackInspectorSessions(): void {
    const proto = inspector.Session.prototype as Prototype;
    const original = proto[ORIGINAL_CONNECT] ?? proto.connect;
    proto[ORIGINAL_CONNECT] = original;
    proto.connect = function (this: inspector.Session) {
        opened.add(this);
        return original.call(this);
    };
}

/** Sessions connected since tracking started and not disconnected here. */
export function openInspectorSessions(): number {
    return opened.size;
}

/** Stops tracking and disconnects every session opened meanwhile (a no-op for closed ones). */
export function disconnectInspectorSessions(): void {
    const proto = inspector.Session.prototype as Prototype;
    if (proto[ORIGINAL_CONNECT]) proto.connect = proto[ORIGINAL_CONNECT];
    for (const session of opened) session.disconnect();
    opened.clear();
}
