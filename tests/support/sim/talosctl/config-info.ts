/** `talosctl config info` (SOURCES.md §13). */
import { X509Certificate } from "crypto";
import YAML from "yaml";
import { CliError } from "../cli";
import { goQuote, humanizeRelTime } from "../gofmt";
import type { Run } from "./run";

export function configInfo(run: Run): void {
    const tc = run.loadTalosconfig();
    if (tc.error) throw new CliError(tc.error);
    const name = tc.cfg?.context ?? "";
    const context = run.contextOf(tc.cfg);
    if (!context) throw new CliError(`context ${goQuote(run.contextName(tc.cfg) ?? "")} is not defined`); // guess
    let roles: string[] = [];
    let certTTL = "";
    let certNotAfter = "";
    if (context.crt) {
        try {
            const cert = new X509Certificate(Buffer.from(context.crt, "base64").toString("utf8"));
            roles = cert.subject.split("\n").filter((l) => l.startsWith("O=")).map((l) => l.slice(2));
            const notAfter = new Date(cert.validTo);
            certTTL = humanizeRelTime(notAfter, new Date(), "ago", "from now");
            certNotAfter = notAfter.toISOString().slice(0, 10);
        } catch {
            throw new CliError("error parsing certificate: x509: malformed certificate"); // guess
        }
    }
    const nodes = context.nodes ?? [];
    const endpoints = context.endpoints ?? [];
    const output = run.flag<string>("output");
    const info = { context: name, nodes, endpoints, roles, certTTL, certNotAfter };
    if (output === "json") run.io.out(`${JSON.stringify(info, null, 2)}\n`);
    else if (output === "yaml") run.io.out(YAML.stringify(info));
    else if (output === "text") {
        const list = (l: string[]) => (l.length ? l.join(", ") : "not defined");
        const lines = [`Current context:     ${name}`, `Nodes:               ${list(nodes)}`, `Endpoints:           ${list(endpoints)}`];
        if (roles.length) lines.push(`Roles:               ${roles.join(", ")}`);
        if (certNotAfter) lines.push(`Certificate expires: ${certTTL} (${certNotAfter})`);
        run.io.out(lines.join("\n") + "\n");
    } else throw new CliError(`unknown output format: ${goQuote(output)}`);
}
