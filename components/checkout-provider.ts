import * as path from "path";
import type * as pulumi from "@pulumi/pulumi";

/** The project checkout the program runs from; dynamic providers load their code from it at run time. */
export const PROJECT_DIR = path.resolve(__dirname, "..");

/**
 * A dynamic provider whose implementation is the module `modulePath` (relative to the project
 * folder, exporting check/diff/create/update/remove) loaded at run time from the checkout. The engine
 * serializes only this small loader into state and runs it in its dynamic-provider host; each call
 * loads the module with the project's own ts-node, so the code that runs is always the checked-out
 * one (a serialized copy would go stale, pulumi/pulumi#6490) and nothing large is serialized.
 * Resources using it carry a `projectDir` input.
 */
export function checkoutProvider(modulePath: string): pulumi.dynamic.ResourceProvider {
    /** Loads the module from the first given project folder (or the current one) that holds it. */
    const load = (...projectDirs: (string | undefined)[]): any => {
        // These requires run in the engine's dynamic-provider host, not in the program.
        /* eslint-disable @typescript-eslint/no-require-imports */
        const fs = require("fs");
        const p = require("path");
        const candidates = [...projectDirs, process.env.PLATFORM_PROJECT_DIR, process.cwd()].filter((d): d is string => typeof d === "string" && d !== "");
        const dir = candidates.find((d) => fs.existsSync(p.join(d, modulePath)));
        if (!dir) throw new Error(`${modulePath} is not in ${candidates.join(" or ")}: run pulumi from the project folder, or set PLATFORM_PROJECT_DIR`);
        require(p.join(dir, "node_modules", "ts-node")).register({ transpileOnly: true, project: p.join(dir, "tsconfig.json") });
        return require(p.join(dir, modulePath));
        /* eslint-enable @typescript-eslint/no-require-imports */
    };
    return {
        check: async (olds: any, news: any) => load(news.projectDir, olds.projectDir).check(olds, news),
        diff: async (id: string, olds: any, news: any) => load(news.projectDir, olds.projectDir).diff(id, olds, news),
        create: async (inputs: any) => load(inputs.projectDir).create(inputs),
        update: async (id: string, olds: any, news: any) => load(news.projectDir, olds.projectDir).update(id, olds, news),
        delete: async (id: string, olds: any) => load(olds.projectDir).remove(id, olds),
    };
}
