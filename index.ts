// Entry point. Pulumi calls the exported function and exports what it returns as stack outputs.
import { main } from "./stacks";

export = main;
