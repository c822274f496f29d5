/**
 * Polling with a deadline: the one mechanism behind every readiness gate. An attempt either
 * succeeds, fails in a way worth retrying, or fails permanently (wrong CA, bad credentials file):
 * waiting longer cannot fix those, so they end the wait at once with their message.
 */

/** The outcome of one attempt. */
export type Attempt<T> = { ok: true; value: T } | { ok: false; reason: string; permanent?: boolean };

export interface PollOptions {
    /** Give up after this long. */
    timeoutMs: number;
    /** Pause between attempts. */
    intervalMs: number;
    /** Consecutive successes required, so a flapping target is not taken for a ready one. */
    successThreshold?: number;
    /** Called after each failed attempt (progress reporting). */
    onRetry?: (reason: string, attempt: number) => void;
}

/** Raised when the deadline passes or an attempt fails permanently; names what and why. */
export interface NotReadyError extends Error {
    name: "NotReadyError";
    lastReason: string;
    attempts: number;
}

/**
 * A plain Error with extra fields rather than an Error subclass: this code is serialized into
 * Pulumi's dynamic-provider host, where a serialized subclass of a built-in loses its message.
 */
export function notReady(message: string, lastReason: string, attempts: number): NotReadyError {
    return Object.assign(new Error(message), { name: "NotReadyError" as const, lastReason, attempts });
}

/** True for errors raised by `pollUntil`. */
export function isNotReadyError(err: unknown): err is NotReadyError {
    return err instanceof Error && err.name === "NotReadyError";
}

/** Repeats `attempt` until it succeeds `successThreshold` times in a row, or fails as described. */
export async function pollUntil<T>(what: string, attempt: () => Promise<Attempt<T>>, opts: PollOptions): Promise<T> {
    const started = Date.now();
    const threshold = opts.successThreshold ?? 1;
    let streak = 0;
    let attempts = 0;
    let lastReason = "no attempt finished";
    for (;;) {
        attempts++;
        const result = await attempt();
        if (result.ok) {
            streak++;
            if (streak >= threshold) return result.value;
            lastReason = `ready ${streak} of ${threshold} consecutive times`;
        } else {
            streak = 0;
            lastReason = result.reason;
            if (result.permanent) {
                throw notReady(`${what}: ${result.reason}`, result.reason, attempts);
            }
            opts.onRetry?.(result.reason, attempts);
        }
        const elapsed = Date.now() - started;
        if (elapsed + opts.intervalMs > opts.timeoutMs) {
            throw notReady(`${what}: not ready after ${formatDuration(opts.timeoutMs)} (${attempts} attempts); last failure: ${lastReason}`, lastReason, attempts);
        }
        await new Promise((resolve) => setTimeout(resolve, opts.intervalMs));
    }
}

/** 600000 → "10m", 90000 → "90s", 400 → "0.4s". */
export function formatDuration(ms: number): string {
    if (ms >= 60_000 && ms % 60_000 === 0) return `${ms / 60_000}m`;
    return `${Math.round(ms / 100) / 10}s`;
}
