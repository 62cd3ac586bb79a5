#!/usr/bin/env node
// The `seatrush-pg` executable: a committed shim that loads the built CLI, so installing the
// workspace links the command before anything is built (run `pnpm build` before using it here).
import '../dist/cli.js';
