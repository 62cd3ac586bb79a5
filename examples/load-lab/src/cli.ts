import { join } from 'node:path';
import { serversFromEnv, strategySupported } from './app-process';
import { applyOverrides, PROFILE_DEFAULTS, PROFILES, type ProfileName } from './profiles';
import { compareText, textSummary } from './report/text';
import { writeComparison, writeRun } from './report/write';
import { type RunResult, runProfile } from './runner';

const USAGE = `usage: node examples/load-lab/dist/cli.js <profile> [options]
       node examples/load-lab/dist/cli.js compare <profile> [options]
profiles: ${PROFILES.join(', ')}
options:  --embedded            run the app on its in-memory default even when REDIS_URL… are set
          --out DIR             where to write result.json, report.html, summary.txt
          --instances N         N app instances as one sale behind a round-robin proxy in the lab
                                (real servers only; 1, the default, talks to one app directly)
          --kill-owner-at S     with --instances ≥ 2: SIGKILL the admission loop's owner S seconds
                                after the first buyer, report the takeover time
          --<param> VALUE       any profile parameter, e.g. --buyers 2000 --seats 200,
                                --rampSteps 100,200,400 --behaviour.thinkMs 100,800
The app runs on Redis + Kafka + PostgreSQL when REDIS_URL, KAFKA_BROKERS and DATABASE_URL are set
(set -a; . .services/env; set +a), else on its embedded default. Build the app first:
pnpm --filter @seatrush/example-express-app build && pnpm --filter @seatrush/load-lab build`;

/** Parses `--key value` pairs and flags. */
function parseArgs(argv: string[]): {
  positional: string[];
  flags: Set<string>;
  values: Record<string, string>;
} {
  const positional: string[] = [];
  const flags = new Set<string>();
  const values: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) positional.push(arg);
    else if (arg === '--embedded' || arg === '--help') flags.add(arg.slice(2));
    else {
      const value = argv[i + 1];
      if (value === undefined || value.startsWith('--')) throw new Error(`${arg} needs a value`);
      values[arg.slice(2)] = value;
      i++;
    }
  }
  return { positional, flags, values };
}

async function main(): Promise<number> {
  const { positional, flags, values } = parseArgs(process.argv.slice(2));
  const compare = positional[0] === 'compare';
  const profile = (compare ? positional[1] : positional[0]) as ProfileName | undefined;
  if (flags.has('help') || !profile || !PROFILES.includes(profile)) {
    console.error(USAGE);
    return flags.has('help') ? 0 : 2;
  }
  const { out, 'kill-owner-at': killOwnerAt, ...overrides } = values;
  if (killOwnerAt !== undefined) overrides.killOwnerAt = killOwnerAt;
  const params = applyOverrides(PROFILE_DEFAULTS[profile], overrides);
  const servers = flags.has('embedded') ? null : serversFromEnv();
  if (params.instances > 1 && !servers) {
    console.error(
      `--instances ${params.instances} runs on the real servers only: the embedded default keeps each sale in its own process's memory, so ${params.instances} processes would be ${params.instances} separate sales. Set REDIS_URL, KAFKA_BROKERS and DATABASE_URL (set -a; . .services/env; set +a) and drop --embedded.`,
    );
    return 2;
  }
  const stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
  const dir =
    out ?? join(process.cwd(), 'reports', 'load-lab', `${stamp}-${compare ? 'compare-' : ''}${profile}`);
  const log = (line: string) => console.error(line);
  console.error(
    `load lab: ${compare ? 'comparing strategies on ' : ''}${profile} on ${servers ? 'Redis + Kafka + PostgreSQL' : 'the embedded default'}${params.instances > 1 ? `, ${params.instances} instances behind a round-robin proxy` : ''}`,
  );
  if (!compare) {
    const result = await runProfile({
      profile,
      params,
      servers,
      log,
      profileDir: join(dir, 'app-cpu-profile'),
    });
    const files = await writeRun(dir, result);
    console.log(textSummary(result));
    console.log(`\nwritten: ${files.join(' ')}`);
    return result.invariant.ok ? 0 : 1;
  }
  if (!(await strategySupported())) {
    console.error(
      'note: the example app has no RESERVE_STRATEGY setting; the "lock" run will use its default (atomic)',
    );
  }
  const results: RunResult[] = [];
  for (const strategy of ['atomic', 'lock'] as const) {
    console.error(`-- ${strategy}`);
    results.push(
      await runProfile({ profile, params, servers, strategy, label: `${profile} · ${strategy}`, log }),
    );
  }
  const files = await writeComparison(dir, results);
  console.log(compareText(results));
  console.log(`\nwritten: ${files.join(' ')}`);
  return results.every((r) => r.invariant.ok) ? 0 : 1;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 2;
  },
);
