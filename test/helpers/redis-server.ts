// A redis-server child on a chosen loopback port and data directory, with the options kyso's private server
// uses (AOF on, fsync every second). The fault tests use it to bring Redis back on the same port and directory
// after stopping the private server kyso started (startPrivateRedis picks a free port and cannot be told one).
import { spawn } from 'node:child_process';

export interface RedisChild {
  url: string;
  stop(): Promise<void>;
}

export async function startRedisOn(port: number, dir: string): Promise<RedisChild> {
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes', '--appendfsync', 'everysec', '--save', '', '--daemonize', 'no'];
  const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  await new Promise<void>((ready, fail) => {
    let log = '';
    const timer = setTimeout(() => fail(new Error(`redis-server on ${port} not ready: ${log.slice(-500)}`)), 10_000);
    child.stdout.on('data', (c: Buffer) => {
      log += c.toString();
      if (log.includes('Ready to accept connections')) {
        clearTimeout(timer);
        ready();
      }
    });
    child.stderr.on('data', (c: Buffer) => (log += c.toString()));
    child.once('exit', (code) => {
      clearTimeout(timer);
      fail(new Error(`redis-server on ${port} exited (${code}): ${log.slice(-500)}`));
    });
  });
  child.stdout.resume();
  return {
    url: `redis://127.0.0.1:${port}`,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
