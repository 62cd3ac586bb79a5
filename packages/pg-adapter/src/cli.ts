#!/usr/bin/env node
/** The `seatrush-pg` executable: `seatrush-pg migrate`, `status`, `close-sale <saleId>`. */
import { runCli } from './cli/run';

runCli(process.argv.slice(2), {
  env: process.env,
  out: (line) => console.log(line),
  err: (line) => console.error(line),
  now: () => Date.now(),
}).then((code) => {
  process.exitCode = code;
});
