/** `talosctl read` (SOURCES.md §12). */
import { CliError } from "../cli";
import { GrpcError } from "../cluster";
import type { Run } from "./run";

export async function read(run: Run): Promise<void> {
    const target = run.client();
    run.failIfMultiNodes(target.nodes, "read");
    const file = run.cmd.args[0]!;
    const [o] = await run.callEach(target.nodes, (n) => {
        if (file === "/proc/sys/kernel/random/boot_id") return `${n.bootId}\n`;
        if (file === "/proc/sys/kernel/hostname" || file === "/etc/hostname") return `${n.hostname}\n`;
        if (file === "/etc/os-release") return `NAME="Talos"\nID=talos\nVERSION_ID=${n.version}\nPRETTY_NAME="Talos (${n.version})"\n`;
        throw new GrpcError("Unknown", `open ${file}: no such file or directory`);
    });
    if (o!.error) throw new CliError(`error reading: ${o!.error}`);
    run.io.out(o!.value!);
}
