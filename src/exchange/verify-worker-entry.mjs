// Entry point of a validation worker thread (verify-pool.ts). Plain JavaScript so that it starts the same way
// whatever runs the parent (the kyso binary, node --import tsx, vitest): it registers tsx's loader in this
// thread, then loads the TypeScript worker.
import { register } from 'tsx/esm/api';

register();
await import('./verify-worker.ts');
