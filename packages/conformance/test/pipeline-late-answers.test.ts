import type { ReserveOutcome, ReserveRequest } from '@seatrush/core';
import { MemoryInventoryStore } from '@seatrush/core/memory';
import { expect, it } from 'vitest';
import { pipelineChecks, runCheck, sleep } from '../src';
import { memoryPipeline } from './memory-pipeline';

// On real servers under load a crowd of buyers is told OUTCOME_UNKNOWN (the store answered after
// `answerWithinMs`, 2 s by default) although the hold was made. The pipeline suite's buyers then do
// what the API tells them to, ask again with the same key, so its checks hold there too.

/** Holds at once, but answers the first reserve past `answerWithinMs`, as a loaded server may. */
class LateFirstAnswer extends MemoryInventoryStore {
  #late = true;

  override async reserve(request: ReserveRequest): Promise<ReserveOutcome> {
    const outcome = await super.reserve(request);
    if (this.#late) {
      this.#late = false;
      await sleep(2_200);
    }
    return outcome;
  }
}

const lateStore = memoryPipeline({ store: (waitingRoom) => new LateFirstAnswer({ waitingRoom }) });

it('confirms a hold whose first answer was OUTCOME_UNKNOWN: the buyer asks again, the relay hands it over', async () => {
  const happyPath = pipelineChecks.find((check) => check.name.startsWith('join → admit → reserve'));
  expect(happyPath).toBeDefined();
  if (happyPath) await runCheck(lateStore, happyPath);
}, 30_000);
