/** The domain model: plain types and fixed facts. Imports nothing of the program's. */
export * from "./charts";
export * from "./constants";
export * from "./mesh";
export * from "./platform";
export * from "./problems";
export * from "./rollout";
export * from "./talos";
