// Runs `webapp-operator <args>` from the TypeScript sources, for tests that need a real process
// (signals, SIGKILL of a leader). Started with `node --import tsx`.
import { main } from "../../../src/cli/main.js";

process.exitCode = await main(process.argv.slice(2));
