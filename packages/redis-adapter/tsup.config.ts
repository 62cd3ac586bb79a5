import { libraryBuild } from '../../tsup.base';

// The Lua scripts are read at run time from `src/lua/` (shipped via `files`); `shims` gives the
// CommonJS build an `import.meta.url` to find them from `dist/`.
export default libraryBuild({ shims: true });
