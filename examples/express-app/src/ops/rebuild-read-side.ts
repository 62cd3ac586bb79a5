import { parseArgs } from 'node:util';
import { type DomainEvent, SeatRushError } from '@seatrush/core';
import { bodyOf, createKafka, decodeEvent, readTopic, TopicNames } from '@seatrush/kafka-adapter';
import {
  createPgConnection,
  type PgConnection,
  PROJECTED_EVENT_TYPES,
  type ReadSideRebuild,
  rebuildReadSide,
} from '@seatrush/pg-adapter';
import type { Kafka } from 'kafkajs';
import pg from 'pg';

const USAGE = `usage: pnpm --filter @seatrush/example-express-app rebuild-read-side <saleId> [--into <schema>] [--keep]
       (node dist/ops/rebuild-read-side-main.js <saleId> …)

Replays the sale's events from offset 0 of every projected topic into the read tables of a new
schema and compares them with the live views. Reads DATABASE_URL, KAFKA_BROKERS and NAMESPACE as
the app does. --into names the new schema (default <namespace>_rebuild_<time>); it is dropped
afterwards unless --keep. Compare once the live projector's lag is 0 (seatrush_projector_lag):
events it has not applied yet show as differences.
Exit code: 0 the views agree, 1 they differ (each difference printed) or a server failed, 2 usage.`;

/**
 * Reads every projected topic of a deployment from offset 0 up to its end as of the call and
 * replays the sale's events into `into`, then compares its views with `live` (pg-adapter's
 * rebuildReadSide). Events of other sales are skipped; a message that does not decode is counted
 * in `undecodable` and left out.
 */
export async function rebuildReadSideFromTopics(options: {
  kafka: Kafka;
  /** The deployment's topic prefix (the app's NAMESPACE). */
  topicPrefix: string;
  saleId: string;
  live: PgConnection;
  into: PgConnection;
}): Promise<ReadSideRebuild & { undecodable: number }> {
  const topics = new TopicNames(options.topicPrefix);
  const events: DomainEvent[] = [];
  let undecodable = 0;
  for (const type of PROJECTED_EVENT_TYPES) {
    await readTopic(options.kafka, topics.of(type), {}, async (message) => {
      const decoded = decodeEvent(bodyOf(message), type);
      if (decoded.ok) {
        if (decoded.event.saleId === options.saleId) events.push(decoded.event);
      } else undecodable += 1;
    });
  }
  const rebuilt = await rebuildReadSide({
    saleId: options.saleId,
    events,
    live: options.live,
    into: options.into,
  });
  return { ...rebuilt, undecodable };
}

/** What the command reads and writes: injected so a test runs it in process. */
export interface RebuildIo {
  env: Record<string, string | undefined>;
  out: (line: string) => void;
  err: (line: string) => void;
  now: () => number;
}

/** The rebuild command: answers its exit code (see USAGE). */
export async function runRebuildReadSide(argv: string[], io: RebuildIo): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    io.err(`${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
    return 2;
  }
  const [saleId, ...extra] = parsed.positionals;
  if (parsed.values.help) {
    io.out(USAGE);
    return 0;
  }
  if (!saleId || extra.length > 0) {
    io.err(USAGE);
    return 2;
  }
  const { DATABASE_URL: databaseUrl, KAFKA_BROKERS: brokers } = io.env;
  const namespace = io.env.NAMESPACE ?? 'seatrush';
  if (!databaseUrl || !brokers) {
    io.err(`the read side lives on the real servers: set DATABASE_URL and KAFKA_BROKERS\n${USAGE}`);
    return 2;
  }
  const schema = parsed.values.into ?? `${namespace}_rebuild_${io.now().toString(36)}`;
  if (!/^[a-z0-9_]{1,63}$/.test(schema) || schema === namespace) {
    io.err(`--into must be a schema name ([a-z0-9_], at most 63) other than the live ${namespace}`);
    return 2;
  }
  const connect = (name: string) =>
    createPgConnection({
      connectionString: databaseUrl,
      schema: name,
      applicationName: 'seatrush-rebuild',
      pool: { max: 2 },
    });
  const live = connect(namespace);
  const into = connect(schema);
  // the command drops only a schema it created: an existing one is refused, never touched
  let created = false;
  try {
    const existing = await into.primary.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
    if (existing.rowCount !== 0) {
      io.err(`schema ${schema} exists already: name a new one with --into`);
      return 2;
    }
    const kafka = createKafka({
      brokers: brokers.split(',').map((b) => b.trim()),
      clientId: 'seatrush-rebuild',
    });
    created = true;
    const report = await rebuildReadSideFromTopics({ kafka, topicPrefix: namespace, saleId, live, into });
    io.out(
      `sale ${saleId}: ${report.events} events read from offset 0 (${report.applied} distinct` +
        `${report.undecodable > 0 ? `, ${report.undecodable} undecodable messages left out` : ''}) into schema ${schema}`,
    );
    for (const d of report.differences) {
      io.out(
        `differs ${d.view} ${d.key}: live ${JSON.stringify(d.live)} rebuilt ${JSON.stringify(d.rebuilt)}`,
      );
    }
    io.out(
      report.differences.length === 0
        ? 'the rebuilt views equal the live ones'
        : `${report.differences.length} difference(s) between the rebuilt and the live views`,
    );
    return report.differences.length === 0 ? 0 : 1;
  } catch (error) {
    const code = error instanceof SeatRushError ? `${error.code}: ` : '';
    io.err(`${code}${error instanceof Error ? error.message : String(error)}`);
    return 1;
  } finally {
    if (created && !parsed.values.keep) {
      await into.primary
        .query(`DROP SCHEMA IF EXISTS ${pg.escapeIdentifier(schema)} CASCADE`)
        .catch((error: unknown) => io.err(`could not drop schema ${schema}: ${String(error)}`));
    } else if (created) io.out(`schema ${schema} kept`);
    await Promise.all([live.close(), into.close()]);
  }
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      into: { type: 'string' },
      keep: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}
