// `npm run demo`: the operator against a simulated cluster, with the examples applied.
import { main } from "../src/cli/main.js";

process.exitCode = await main(["demo", ...process.argv.slice(2)]);
