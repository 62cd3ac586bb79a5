import type { Options } from 'tsup';

/** Bundles TypeScript that runs as its own Node process from the workspace's sources (see node-bundle.mjs). */
export function bundleForNode(options: Options): Promise<void>;
