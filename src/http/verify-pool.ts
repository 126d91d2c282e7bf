// The validation thread pool as the HTTP API uses it: the pool itself lives with the validators it runs
// (exchange/verify-pool.ts, shared with the exchange's package receipt); here a worker that runs out of memory
// becomes the API's 422 RESOURCE_LIMIT problem document.
import { VerifyPool as ThreadPool, type VerifyPoolOptions } from '../exchange/verify-pool.ts';
import { HttpProblemError } from './problem.ts';

export type { VerifyPoolOptions, WorkerReply, WorkerTask } from '../exchange/verify-pool.ts';

const tooBig = () =>
  new HttpProblemError(
    'RESOURCE_LIMIT',
    'Tệp cần quá nhiều bộ nhớ để kiểm tra (có thể là tệp độc hại, ví dụ "bom nén"); việc kiểm tra đã bị dừng.',
    'The file needs too much memory to validate (possibly malicious, e.g. a decompression bomb); validation was stopped.',
  );

export class VerifyPool extends ThreadPool {
  constructor(opts: VerifyPoolOptions) {
    super({ outOfMemory: tooBig, ...opts });
  }
}
