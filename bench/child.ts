// One contender in a fresh process, for peak memory:
//   node --import tsx bench/child.ts <kyso|kyso-visible|signpdf|idle> <pdf> <p12> <password> [iterations]
// Prints one JSON line (KiB): VmHWM (peak RSS of this process image, from /proc/self/status), VmRSS just before
// the first signature (modules loaded, key loaded, file read), and getrusage maxRSS for reference. maxRSS is
// NOT used for the verdict: Linux carries the parent's RSS at fork time into the child's maxRSS across exec
// (exec_mmap → setmax_mm_hiwater_rss), so a child of a big parent reports the parent's size.
// 'idle' reads the file and loads nothing else: the node + tsx floor.
import { readFileSync } from 'node:fs';
import type { ContenderId, SignFn } from './contenders.ts';

const [mode, file, p12Path, password, iterArg] = process.argv.slice(2);
if (!mode || !file || !p12Path || password === undefined) {
  console.error('usage: child.ts <kyso|kyso-visible|signpdf|idle> <pdf> <p12> <password> [iterations]');
  process.exit(2);
}
const iterations = mode === 'idle' ? 0 : Number(iterArg ?? 3);

function status(field: 'VmHWM' | 'VmRSS'): number {
  const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) : NaN;
}

let sign: SignFn | undefined;
if (mode !== 'idle') {
  const { makeContender } = await import('./contenders.ts');
  sign = await makeContender(mode as ContenderId, { p12Path, password, source: '' });
}
const pdf = readFileSync(file);
const beforeKiB = status('VmRSS');
let outLength = 0;
const t0 = performance.now();
for (let i = 0; i < iterations; i++) outLength = (await sign!(pdf)).length;
const ms = performance.now() - t0;
process.stdout.write(
  `${JSON.stringify({ mode, fileBytes: pdf.length, outLength, iterations, ms, beforeKiB, vmHwmKiB: status('VmHWM'), maxRssKiB: process.resourceUsage().maxRSS })}\n`,
);
