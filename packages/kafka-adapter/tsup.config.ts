import { libraryBuild } from '../../tsup.base';

// publisher-thread: the module a publisher with `thread: true` runs on its worker thread, found
// beside the package's own modules (shims: `import.meta.url` in the CommonJS build too).
export default libraryBuild({ entry: ['src/index.ts', 'src/publisher-thread.ts'], shims: true });
