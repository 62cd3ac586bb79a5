/**
 * The load generator, run as a child process (`fork`) so it never shares an event loop or a core's
 * time slice with the server it measures: it receives one job over IPC, runs autocannon, and
 * answers the result. Requests that need per-request headers (a buyer, an admission token, a
 * fresh Idempotency-Key) are built here from the tokens the job carries.
 */
import autocannon from 'autocannon';

/** One load run. */
export interface LoadJob {
  url: string;
  connections: number;
  seconds: number;
  /** `reserve`: POST reservations as the job's buyers; `get`/`post-json`: the same request every time. */
  kind: 'reserve' | 'get' | 'post-json';
  path: string;
  /** `[buyerId, admissionToken]` for `reserve`. */
  buyers?: Array<[string, string]>;
}

/** What a run measured. */
export interface LoadResult {
  rps: number;
  /** Answers received. */
  total: number;
  p50: number;
  p99: number;
  /** Non-2xx answers, errors and timeouts. */
  bad: number;
}

function requestsOf(job: LoadJob): autocannon.Request[] {
  if (job.kind === 'get') return [{ method: 'GET', path: job.path }];
  if (job.kind === 'post-json') {
    return [
      {
        method: 'POST',
        path: job.path,
        headers: { 'content-type': 'application/json' },
        body: '{"quantity":1}',
      },
    ];
  }
  const buyers = job.buyers ?? [];
  let n = 0;
  return [
    {
      method: 'POST',
      path: job.path,
      setupRequest: (req) => {
        const [buyer, token] = buyers[n % buyers.length] as [string, string];
        n++;
        return {
          ...req,
          headers: {
            'content-type': 'application/json',
            'x-buyer': buyer,
            'x-admission-token': token,
            'idempotency-key': `k${process.pid}-${n}`,
          },
          body: '{"quantity":1}',
        };
      },
    },
  ];
}

process.once('message', async (job: LoadJob) => {
  const result = await autocannon({
    url: job.url,
    connections: job.connections,
    duration: job.seconds,
    requests: requestsOf(job),
  });
  const answer: LoadResult = {
    rps: Math.round(result.requests.average),
    total: result.requests.total,
    p50: result.latency.p50,
    p99: result.latency.p99,
    bad: result.non2xx + result.errors + result.timeouts,
  };
  process.send?.(answer, () => process.exit(0));
});
