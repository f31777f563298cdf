export * from "../run_folder.ts";
export * from "./aggregate.ts";
export * from "./compare.ts";
export * from "./compare_rows.ts";
