/**
 * The read side's rebuild command (issue 21):
 *   pnpm --filter @seatrush/example-express-app rebuild-read-side <saleId> [--into <schema>] [--keep]
 * See runRebuildReadSide.
 */
import { runRebuildReadSide } from './rebuild-read-side';

runRebuildReadSide(process.argv.slice(2), {
  env: process.env,
  out: (line) => console.log(line),
  err: (line) => console.error(line),
  now: () => Date.now(),
}).then((code) => {
  process.exitCode = code;
});
