export * from "../run_folder.ts";
export * from "./aggregate.ts";
export * from "./compare.ts";
export * from "./compare_rows.ts";
export * from "./compare_protocol.ts";
export * from "./compare_plan.ts";
export * from "./compare_summary.ts";
