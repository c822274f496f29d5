/**
 * talosctl's command line, as the emulation sees it: the flag and command specs, the parsed
 * command, the parse outcome and CliError. The command tree per emulated client minor is in
 * cli-commands.ts, the port of cobra/pflag argument handling in cli-parse.ts; both are re-exported
 * here.
 */

export type FlagType = "bool" | "string" | "strings" | "stringArray" | "duration";

export interface FlagSpec {
    name: string;
    short?: string;
    type: FlagType;
    def?: string | boolean | string[];
    usage?: string;
    hidden?: boolean;
    /** pflag deprecation message: using the flag prints `Flag --name has been deprecated, <msg>` on stderr. */
    deprecated?: string;
    /** Accepted values (validated by talosctl after parsing, or by a custom pflag Value). */
    enumValues?: string[];
}

export type ArgsRule =
    | { kind: "legacy" } // cobra's default for commands without Args: only the root rejects unknown subcommands
    | { kind: "none" }
    | { kind: "exact"; n: number }
    | { kind: "range"; min: number; max: number }
    | { kind: "max"; n: number };

export interface CmdSpec {
    name: string;
    use?: string;
    aliases?: string[];
    flags?: FlagSpec[];
    /** Persistent flags (the root's global flags). */
    persistent?: FlagSpec[];
    args?: ArgsRule;
    children?: CmdSpec[];
    /** Whether the command has a Run function (groups like `etcd` do not). */
    runnable?: boolean;
}

export type FlagValue = string | boolean | string[] | number;

export interface ParsedCommand {
    path: string[];
    spec: CmdSpec;
    flags: Record<string, FlagValue>;
    changed: Set<string>;
    args: string[];
    /** Lines pflag printed to stderr while parsing (deprecation notices). */
    notices: string[];
}

export class CliError extends Error {
    constructor(message: string, readonly opts: { suppress?: boolean; spec?: CmdSpec; path?: string[] } = {}) {
        super(message);
    }
}

/** Outcome of parsing that is not a command to run: help output (exit 0) or an error. */
export type ParseOutcome =
    | { kind: "run"; cmd: ParsedCommand }
    | { kind: "help"; text: string }
    | { kind: "error"; message: string; usage: string };

export { commandTree, defaultInstaller, defaultKubernetes } from "./cli-commands";
export { helpText, parseCommandLine, usageText } from "./cli-parse";
