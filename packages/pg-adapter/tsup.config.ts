import { libraryBuild } from '../../tsup.base';

// the library, and the `seatrush-pg` executable (migrations ship inside both as TypeScript strings)
export default libraryBuild({ entry: ['src/index.ts', 'src/cli.ts'] });
