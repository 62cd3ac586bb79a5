import { replayCommand, runSimulation } from '@seatrush/simulation';

// one whole sale under seed 42: buyers, one to three API instances, faults, crashes
const result = await runSimulation({ seed: 42 });
if (!result.ok) {
  console.error(`${result.failure?.message}\nreplay: ${replayCommand(result.config)}`);
}
// the same seed replays the same run, step for step
const again = await runSimulation({ seed: 42 });
console.log(result.ok, result.completed, again.fingerprint === result.fingerprint);
