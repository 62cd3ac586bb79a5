import type { Options } from 'tsup';

/** ES module output (`<entry>.js`) with a `require` of its own, for kafkajs (see node-bundle.mjs). */
export const esmWithRequire: Pick<Options, 'format' | 'outExtension' | 'banner'>;

/** Bundles TypeScript that runs as its own Node process from the workspace's sources (see node-bundle.mjs). */
export function bundleForNode(options: Options): Promise<void>;
