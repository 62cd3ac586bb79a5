import { libraryBuild } from '../../tsup.base';

// One entry per public subpath; splitting shares one copy of each class between them (in CJS too),
// so an error thrown by a service is `instanceof` the class a host imported from ".".
export default libraryBuild({
  entry: {
    index: 'src/index.ts',
    ports: 'src/subpaths/ports.ts',
    services: 'src/subpaths/services.ts',
    memory: 'src/subpaths/memory.ts',
    testing: 'src/subpaths/testing.ts',
  },
  splitting: true,
});
