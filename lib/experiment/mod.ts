export * from "./run_writer.ts";
