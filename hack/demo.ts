// `npm run demo`: the operator and the examples on an embedded cluster (its pods run for real when the programs are installed).
import { main } from "../src/cli/main.js";

process.exitCode = await main(["demo", ...process.argv.slice(2)]);
