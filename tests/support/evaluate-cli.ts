/**
 * Run with plain Node (ts-node), not under jest: evaluates a program module under the offline
 * engine and prints `{ok, error?, resources}` as JSON. Used for runs that are meant to fail:
 * jest reports the rejected promises a failed Pulumi read leaves behind against the test itself,
 * while in a plain process the engine treats them as the program's failure, as Pulumi does.
 *
 * Usage: evaluate-cli.ts <module exporting the program as `main` or default> <options JSON>
 */
import * as path from "path";
import { evaluate, type EvaluateOptions } from "../../tools/engine/engine";
import { offlineNetwork } from "../../tools/engine/network";
import { Recording } from "../../tools/engine/recording";

void (async () => {
    const [modulePath, optionsJson] = process.argv.slice(2);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require(path.resolve(modulePath)) as { main?: () => unknown; default?: () => unknown };
    const program = mod.main ?? mod.default;
    if (!program) throw new Error(`${modulePath} exports no program`);
    const recording = new Recording();
    const options: EvaluateOptions = { network: offlineNetwork, ...(JSON.parse(optionsJson) as EvaluateOptions), recording };
    const resources = () => recording.resources.map((r) => ({ type: r.type, name: r.name, read: r.read }));
    try {
        const ev = await evaluate(program, options);
        process.stdout.write(JSON.stringify({ ok: true, outputs: ev.outputs, resources: resources() }));
    } catch (err) {
        process.stdout.write(JSON.stringify({ ok: false, error: err instanceof Error ? err.message : String(err), resources: resources() }));
    }
})();
