// Redis for the exchange queues (issue 5, Runtime).
//
//   - REDIS_URL set: that server (a managed Redis, a Sentinel-fronted primary, one node of a cluster).
//   - REDIS_URL unset: kyso starts a private `redis-server` child — from PATH, bound to 127.0.0.1 on a free port,
//     AOF on, data in ./data/redis — and stops it when the process exits. If no redis-server is installed the
//     error names the Debian/Ubuntu package (`apt install redis-server`).
//
// Every key kyso writes starts with one prefix (default `kyso`; KYSO_REDIS_PREFIX overrides), so several
// deployments — or test runs — can share a server, and cleaning up is `SCAN <prefix>:*`. The prefix is a BullMQ
// `prefix`, not an ioredis `keyPrefix` (BullMQ's Lua scripts build their own key names and refuse keyPrefix).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { Redis } from 'ioredis';
import { KysoError } from '../../errors.ts';

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';
export const DEFAULT_REDIS_PREFIX = 'kyso';
export const DEFAULT_PRIVATE_REDIS_DIR = './data/redis';

export interface RedisConfig {
  /** redis://[user:password@]host:port[/db] or rediss://… */
  url: string;
  /** First part of every key: `<prefix>:{deliver-…}:wait`, `<prefix>:{dead}`. */
  prefix: string;
}

// No braces (the hash tag must be the queue's, see delivery-queue.ts) and nothing a shell or a glob would choke on.
const PREFIX = /^[A-Za-z0-9_.:-]{1,64}$/;

export function checkRedisPrefix(prefix: string): string {
  if (!PREFIX.test(prefix)) {
    throw new KysoError(
      'INVALID_ARGUMENT',
      `Tiền tố khóa Redis không hợp lệ: "${prefix.slice(0, 80)}" (chữ, số, _ . : -; tối đa 64 ký tự)`,
      `Invalid Redis key prefix: "${prefix.slice(0, 80)}" (letters, digits, _ . : -; at most 64 characters)`,
    );
  }
  return prefix;
}

/**
 * The configured server, or `undefined` for the URL when REDIS_URL is unset (the caller then starts a private
 * server, see resolveRedis).
 */
export function redisConfigFromEnv(env: NodeJS.ProcessEnv = process.env): { url: string | undefined; prefix: string } {
  return { url: env.REDIS_URL || undefined, prefix: checkRedisPrefix(env.KYSO_REDIS_PREFIX || DEFAULT_REDIS_PREFIX) };
}

/**
 * A client for kyso's queues. `maxRetriesPerRequest: null` is what BullMQ requires of a worker's connection
 * (a blocking command must wait through a reconnect instead of failing after 20 retries).
 */
export function createRedis(url: string = DEFAULT_REDIS_URL, opts: { connectionName?: string; lazyConnect?: boolean } = {}): Redis {
  return new Redis(url, {
    maxRetriesPerRequest: null,
    enableReadyCheck: true,
    ...(opts.connectionName ? { connectionName: opts.connectionName } : {}),
    ...(opts.lazyConnect ? { lazyConnect: true } : {}),
  });
}

/** Deletes every key under `<prefix>:` (SCAN, not KEYS, so a large server is not blocked). For tests and resets. */
export async function deletePrefixedKeys(redis: Redis, prefix: string): Promise<number> {
  checkRedisPrefix(prefix);
  let cursor = '0';
  let deleted = 0;
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length) deleted += await redis.unlink(...keys);
  } while (cursor !== '0');
  return deleted;
}

// ---------------------------------------------------------------------------------------------------------
// The private server

export interface PrivateRedis {
  url: string;
  port: number;
  dir: string;
  /** SIGTERM, then waits for the child to exit (it rewrites nothing: AOF is appended as it goes). */
  stop(): Promise<void>;
}

export interface PrivateRedisOptions {
  /** Data directory (AOF and RDB files); created if missing. Default ./data/redis. */
  dir?: string;
  /** The executable; default `redis-server` from PATH. */
  command?: string;
  /** How long to wait for "Ready to accept connections" (default 10 s). */
  startTimeoutMs?: number;
}

const notInstalled = (command: string, cause?: unknown) =>
  new KysoError(
    'REDIS_UNAVAILABLE',
    `Không tìm thấy ${command} trong PATH. Cài gói redis-server (Debian/Ubuntu: sudo apt install redis-server) hoặc đặt REDIS_URL trỏ tới một máy chủ Redis.`,
    `${command} was not found on PATH. Install the redis-server package (Debian/Ubuntu: sudo apt install redis-server) or set REDIS_URL to a Redis server.`,
    { cause },
  );

/** A TCP port free on 127.0.0.1 right now (the OS picks it; a race with another process is possible but rare). */
export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolvePort(port));
    });
  });
}

const running = new Set<ChildProcess>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // 'exit' handlers must be synchronous: a signal is all we can do, and all redis-server needs.
  process.once('exit', () => {
    for (const child of running) child.kill('SIGTERM');
  });
}

/**
 * Starts `redis-server` on a free loopback port with AOF on and its data in `dir`; resolves once it accepts
 * connections. The child is stopped when this process exits (normally or by process.exit); call stop() to end
 * it earlier. REDIS_UNAVAILABLE, naming the package, when the executable is missing.
 */
export async function startPrivateRedis(opts: PrivateRedisOptions = {}): Promise<PrivateRedis> {
  const command = opts.command ?? 'redis-server';
  const dir = resolve(opts.dir ?? DEFAULT_PRIVATE_REDIS_DIR);
  mkdirSync(dir, { recursive: true });
  const port = await freeLoopbackPort();
  const args = [
    '--port', String(port),
    '--bind', '127.0.0.1',
    '--protected-mode', 'yes',
    '--dir', dir,
    '--appendonly', 'yes',
    '--appendfsync', 'everysec',
    '--daemonize', 'no',
    '--save', '',
    '--loglevel', 'notice',
  ];
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<void>((res) => child.once('exit', () => res()));

  await new Promise<void>((ready, fail) => {
    let log = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      fail(new KysoError('REDIS_UNAVAILABLE', `redis-server không sẵn sàng sau ${opts.startTimeoutMs ?? 10_000} ms: ${log.slice(-500)}`, `redis-server was not ready within ${opts.startTimeoutMs ?? 10_000} ms: ${log.slice(-500)}`));
    }, opts.startTimeoutMs ?? 10_000);
    const onData = (chunk: Buffer) => {
      log += chunk.toString('utf8');
      if (log.includes('Ready to accept connections')) {
        clearTimeout(timer);
        child.stdout?.off('data', onData);
        child.stdout?.resume();
        child.stderr?.resume();
        ready();
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (c: Buffer) => (log += c.toString('utf8')));
    child.once('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      fail(e.code === 'ENOENT' ? notInstalled(command, e) : new KysoError('REDIS_UNAVAILABLE', `Không chạy được ${command}: ${e.message}`, `Could not run ${command}: ${e.message}`, { cause: e }));
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      fail(new KysoError('REDIS_UNAVAILABLE', `redis-server dừng ngay khi khởi động (${code ?? signal}): ${log.slice(-500)}`, `redis-server exited while starting (${code ?? signal}): ${log.slice(-500)}`));
    });
  });

  running.add(child);
  installExitHook();
  // The child must not keep the event loop of a finished process alive; stop() and the exit hook end it.
  child.unref();
  (child.stdout as unknown as { unref?: () => void } | null)?.unref?.();
  (child.stderr as unknown as { unref?: () => void } | null)?.unref?.();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    dir,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
      running.delete(child);
    },
  };
}

/**
 * What `npm start` uses: REDIS_URL when set, else a private server in `dataDir` (default ./data/redis).
 * `privateServer` is set when kyso started one (its owner stops it on shutdown).
 */
export async function resolveRedis(
  env: NodeJS.ProcessEnv = process.env,
  opts: { dataDir?: string } = {},
): Promise<RedisConfig & { privateServer?: PrivateRedis }> {
  const cfg = redisConfigFromEnv(env);
  if (cfg.url) return { url: cfg.url, prefix: cfg.prefix };
  const privateServer = await startPrivateRedis({ dir: opts.dataDir ?? DEFAULT_PRIVATE_REDIS_DIR });
  return { url: privateServer.url, prefix: cfg.prefix, privateServer };
}
