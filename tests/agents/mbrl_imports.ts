// The MBRL side of lib/agents, imported by its own files so these tests do not load the
// model-free baselines.
export * from "../../lib/agents/mbrl_config.ts";
export * from "../../lib/agents/mbrl_agent.ts";
export * from "../../lib/agents/mbrl_loop.ts";
