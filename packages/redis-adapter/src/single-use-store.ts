import type { SingleUseStore } from '@seatrush/core';
import { SingleUseInput, validate } from '@seatrush/core/ports';
import { CLOCK_SKEW_MS, RedisStore } from './options';

/**
 * Used single-use tokens: `SET sr:once:{scope:id} 1 NX PX`, one command, so of any number of
 * instances racing to use one token exactly one gets `OK`. An entry lives until its token's expiry
 * plus a minute (clock skew between instances and Redis), which bounds memory to the tokens used
 * within one token lifetime.
 */
export class RedisSingleUseStore extends RedisStore implements SingleUseStore {
  async use(input: SingleUseInput): Promise<boolean> {
    const { scope, id, expiresAt, now } = validate('single-use token', SingleUseInput, input);
    if (expiresAt <= now) return false;
    const key = this.context.keys.singleUse(scope, id);
    const set = await this.context.redis.set(key, '1', 'PX', expiresAt - now + CLOCK_SKEW_MS, 'NX');
    return set === 'OK';
  }
}
