/** Prints the `__provider` code the SDK serializes for a ClientCertificate (see serialize-provider.ts). */
import { printSerializedProvider } from "./serialize-provider";

printSerializedProvider(async () => {
    const { ClientCertificate } = await import("../../components/client-certificate");
    return new ClientCertificate("talosconfig", { caCertificate: "unused", caKey: "unused", subject: { organizations: ["os:admin"] }, validityHours: 8760, renewBeforeHours: 720 });
});
