/**
 * Runs an admin request again when Kafka says the failure is transient (`retriable`, e.g. a
 * partition whose leader was just elected and is not yet in the client's metadata). kafkajs
 * retries sends and fetches itself, but not every admin call.
 */
export async function retriable<T>(request: () => Promise<T>, attempts = 8, delayMs = 150): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await request();
    } catch (error) {
      if (attempt >= attempts || (error as { retriable?: boolean }).retriable !== true) throw error;
      await new Promise((resolve) => setTimeout(resolve, delayMs * attempt));
    }
  }
}
