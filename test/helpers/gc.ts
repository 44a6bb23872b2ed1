/**
 * A full garbage collection on demand, for tests that measure memory or reachability: V8's
 * `gc`, exposed at run time (the test runner starts node without --expose-gc).
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

setFlagsFromString('--expose-gc');
export const gc = runInNewContext('gc') as () => void;
