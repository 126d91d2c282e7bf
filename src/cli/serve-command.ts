// `kyso serve` (what `npm start` runs): one process with the HTTP API (verification, the exchange, citizens'
// lookup) on 127.0.0.1:8080 and the BullMQ delivery workers; `--role api|worker` splits them for scale-out.
// Store: PGlite in ./data/pg unless DATABASE_URL; Redis: REDIS_URL, else a private redis-server in ./data/redis.
// First start with an empty registry (and no --no-demo): the demo agencies from certs-test and their API keys,
// printed once. The demo PKI server (CRL/OCSP/TSA for certs-test) runs on 8400 so the walkthrough works.
// Without --trust the API trusts the demo (certs-test) root only, and says so loudly.
import { availableParallelism } from 'node:os';
import { Command } from 'commander';
import { KysoError } from '../errors.ts';
import type { PkiNetworkOptions } from '../pki/pki-http.ts';
import { serveTestPki, type TestPkiServer } from '../pki/responders/test-pki-server.ts';
import { waitForSignal } from './pki-command.ts';

interface ServeOptions {
  port?: string;
  host: string;
  trust: string[];
  policy?: string;
  maxUploadMb?: string;
  timeout?: string;
  offline?: boolean;
  workers?: string;
  pkiPort: string;
  demoPki: boolean;
  role: string;
  demo: boolean;
  exchange: boolean;
  tsa?: string;
}

const collect = (v: string, prev: string[]) => [...prev, v];

function parsePort(s: string, what: string): number {
  const port = Number(s);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new KysoError('INVALID_ARGUMENT', `Cổng ${what} không hợp lệ: ${s}`, `Invalid ${what} port: ${s}`);
  }
  return port;
}

function parsePositive(s: string, option: string): number {
  const n = Number(s);
  if (!Number.isFinite(n) || n <= 0) throw new KysoError('INVALID_ARGUMENT', `${option} phải là số dương: "${s}"`, `${option} must be a positive number: "${s}"`);
  return n;
}

function parseWorkers(s: string | undefined): number {
  if (s === undefined || s === '') return availableParallelism();
  const n = Number(s);
  if (!Number.isInteger(n) || n < 0 || n > 256) throw new KysoError('INVALID_ARGUMENT', `--workers phải là số nguyên 0–256: "${s}"`, `--workers must be an integer 0–256: "${s}"`);
  return n;
}

function listenError(e: unknown, what: string, host: string, port: number): never {
  const code = (e as NodeJS.ErrnoException)?.code;
  if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL') {
    throw new KysoError(
      'IO',
      `Không mở được ${what} trên ${host}:${port} (${code}); cổng đang được dùng hoặc không được phép`,
      `Cannot listen for the ${what} on ${host}:${port} (${code}); the port is in use or not allowed`,
      { cause: e },
    );
  }
  throw e;
}

export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('Chạy dịch vụ kyso: API HTTP kiểm tra chữ ký và máy chủ PKI thử nghiệm (run the HTTP verification API and the demo PKI server)')
    .option('--port <port>', 'cổng API HTTP (HTTP API port; default $PORT or 8080)')
    .option('--host <host>', 'địa chỉ lắng nghe (listen address)', '127.0.0.1')
    .option('--trust <pem|dir>', 'chứng thư gốc tin cậy, lặp lại được; mặc định: trust/production/, nếu trống thì gốc thử nghiệm (trusted root PEM file or directory, repeatable; default: trust/production/ or $KYSO_TRUST_DIR, else the demo root)', collect, [])
    .option('--policy <file>', 'tệp chính sách kiểm tra JSON (validation policy JSON; default: government-strict)')
    .option('--max-upload-mb <n>', 'giới hạn kích thước tệp tải lên, MiB (upload limit; default $KYSO_MAX_UPLOAD_MB or 50)')
    .option('--timeout <seconds>', 'thời gian tối đa cho một lần kiểm tra (validation time limit; default $KYSO_VERIFY_TIMEOUT_MS or 30 s)')
    .option('--offline', 'không truy cập OCSP/CRL/AIA trên mạng (no network fetches during validation)')
    .option('--workers <n>', 'số luồng kiểm tra; 0 = kiểm tra trong luồng chính (validation worker threads; default $KYSO_VERIFY_WORKERS or one per CPU core; 0 = in the main thread)')
    .option('--pki-port <port>', 'cổng máy chủ PKI thử nghiệm (demo PKI port)', '8400')
    .option('--no-demo-pki', 'không chạy máy chủ PKI thử nghiệm (do not start the demo PKI server)')
    .option('--role <role>', 'vai trò tiến trình: api, worker hoặc all (process role; default $KYSO_ROLE or all)')
    .option('--no-demo', 'không tạo cơ quan thử nghiệm khi danh bạ trống (do not seed the demo agencies on first start)')
    .option('--no-exchange', 'chỉ chạy API kiểm tra chữ ký, không chạy trao đổi văn bản (verification API only: no database, no queue)')
    .option('--tsa <url>', 'dịch vụ cấp dấu thời gian cho chữ ký của dịch vụ (TSA for the signatures the service makes; default $KYSO_TSA_URL or the demo PKI)')
    .action(async (o: ServeOptions) => {
      const port = parsePort(o.port ?? process.env.PORT ?? '8080', 'HTTP');
      const role = o.role ?? process.env.KYSO_ROLE ?? 'all';
      if (role !== 'api' && role !== 'worker' && role !== 'all') {
        throw new KysoError('INVALID_ARGUMENT', `--role phải là api, worker hoặc all: "${role}"`, `--role must be api, worker or all: "${role}"`);
      }
      // Loaded here, not at the top: other kyso commands do not need express or the validator.
      const [{ startHttpServer }, { defaultPolicy, loadPolicy }, { TrustStore }] = await Promise.all([
        import('../http/app.ts'),
        import('../verify/policy.ts'),
        import('../verify/trust-store.ts'),
      ]);
      // No --trust: the production roots in trust/production/ (or $KYSO_TRUST_DIR) if installed, else demo mode.
      const trust = o.trust.length > 0 ? TrustStore.fromPaths(o.trust) : TrustStore.default();
      const policy = o.policy ? loadPolicy(o.policy) : defaultPolicy();
      const out = (lines: string[]) => process.stdout.write(`${lines.join('\n')}\n`);

      let pki: TestPkiServer | undefined;
      const network: PkiNetworkOptions = {};
      if (o.demoPki) {
        const pkiPort = parsePort(o.pkiPort, 'PKI');
        out(['Máy chủ PKI thử nghiệm (CRL/OCSP/TSA cho certs-test):', 'Demo PKI server (CRL/OCSP/TSA for certs-test):']);
        pki = await serveTestPki({ port: pkiPort }).catch((e: unknown) => listenError(e, 'máy chủ PKI thử nghiệm / demo PKI server', '127.0.0.1', pkiPort));
        // The certificates name http://127.0.0.1:8400; on another port, validation must still reach it.
        if (Object.values(pki.rewrite)[0] !== Object.keys(pki.rewrite)[0]) network.rewrite = pki.rewrite;
      }

      let runtime: import('../exchange/runtime.ts').ExchangeRuntime | undefined;
      if (o.exchange) {
        runtime = await startExchange(o, role, { trust, policy, network, offline: o.offline }, pki).catch(async (e: unknown) => {
          await pki?.close();
          throw e;
        });
      }
      if (role === 'worker') {
        out([
          `Tiến trình xử lý hàng đợi đang chạy (vai trò worker): chuyển phát gói tin, quét quá hạn. / Worker running: deliveries, overdue scan.`,
          'Ctrl+C để dừng (Ctrl+C to stop).',
        ]);
        await waitForSignal();
        process.stdout.write('Đang dừng... (Stopping...)\n');
        await Promise.all([runtime?.close(), pki?.close()]);
        process.stdout.write('Đã dừng. (Stopped.)\n');
        return;
      }
      const [{ mountExchangeApi }, { mountSigningSessions }, { mountCitizenPages }] = await Promise.all([
        import('../http/exchange-api.ts'),
        import('../http/signing-sessions.ts'),
        import('../http/citizen-pages.ts'),
      ]);
      const tsaUrl = o.tsa ?? process.env.KYSO_TSA_URL ?? (pki ? `${pki.url}/tsa` : undefined);
      const http = await startHttpServer({
        ...(runtime
          ? {
              mount: (app) => {
                mountExchangeApi(app, runtime!);
                // Two-phase signing for clerks holding their own keys (API + the /sign page).
                mountSigningSessions(app, { db: runtime!.db, blobs: runtime!.blobs, verify: { trust, policy, network, ...(o.offline ? { offline: true } : {}) }, network, ...(tsaUrl ? { tsaUrl } : {}) });
                // Citizens: submit (/pakn), look up and download (/tra-cuu), check any signed file (/kiem-tra).
                mountCitizenPages(app);
              },
            }
          : {}),
        trust,
        policy,
        network,
        offline: o.offline,
        host: o.host,
        port,
        maxUploadBytes: o.maxUploadMb ? Math.floor(parsePositive(o.maxUploadMb, '--max-upload-mb') * 1024 * 1024) : undefined,
        validationTimeoutMs: o.timeout ? parsePositive(o.timeout, '--timeout') * 1000 : undefined,
        workers: parseWorkers(o.workers ?? process.env.KYSO_VERIFY_WORKERS),
      }).catch(async (e: unknown) => {
        await Promise.all([pki?.close(), runtime?.close()]);
        return listenError(e, 'API HTTP / HTTP API', o.host, port);
      });

      if (trust.mode === 'demo') {
        out([
          '',
          '⚠ Kho tin cậy THỬ NGHIỆM: chỉ tin gốc "Test NEAC Root" của certs-test. Không dùng để kiểm tra văn bản thật;',
          '  hãy đặt chứng thư gốc NEAC / Ban Cơ yếu vào trust/production/ (hoặc $KYSO_TRUST_DIR), hoặc dùng --trust.',
          '⚠ DEMO trust store: only the certs-test root "Test NEAC Root" is trusted. Not for real documents;',
          '  install the NEAC / Government Cipher Committee roots in trust/production/ (or $KYSO_TRUST_DIR), or use --trust.',
        ]);
      } else {
        out(['', `Kho tin cậy / Trust store (${trust.mode}, ${trust.size}): ${trust.sources.join(', ')}`]);
      }
      out([
        `Chính sách kiểm tra / Validation policy: ${policy.name}${o.offline ? ' (ngoại tuyến / offline)' : ''}`,
        http.workers > 0
          ? `Luồng kiểm tra / Validation threads: ${http.workers}`
          : 'Kiểm tra trong luồng chính / Validating in the main thread (--workers 0)',
        '',
        `API HTTP kiểm tra chữ ký đang chạy / HTTP verification API listening: ${http.url}`,
        `  curl -H 'Content-Type: application/pdf' --data-binary @tep-da-ky.pdf ${http.url}/api/v1/verify`,
        `  ${http.url}/healthz`,
        'Ctrl+C để dừng (Ctrl+C to stop).',
      ]);
      if (runtime) printExchange(out, http.url, role, runtime);

      await waitForSignal();
      process.stdout.write('Đang dừng: chờ các yêu cầu đang xử lý xong... (Stopping: letting requests in progress finish...)\n');
      // In order: no new requests, then the workers and the store, then the PKI they may still be calling.
      await http.close(10_000);
      await runtime?.close();
      await pki?.close();
      process.stdout.write('Đã dừng. (Stopped.)\n');
    });
}

type Out = (lines: string[]) => void;

async function startExchange(
  o: ServeOptions,
  role: 'api' | 'worker' | 'all',
  verify: import('../verify/verify-options.ts').VerifyOptions,
  pki: TestPkiServer | undefined,
): Promise<import('../exchange/runtime.ts').ExchangeRuntime> {
  const [{ startExchangeRuntime }, { resolveRedis }, { databaseConfigFromEnv }] = await Promise.all([
    import('../exchange/runtime.ts'),
    import('../exchange/queue/redis-connection.ts'),
    import('../store/database.ts'),
  ]);
  const redis = await resolveRedis(process.env);
  const tsaUrl = o.tsa ?? process.env.KYSO_TSA_URL ?? (pki ? `${pki.url}/tsa` : undefined);
  // Delivery tuning for operators: retries and how fast a crashed worker's jobs are taken over.
  const envInt = (name: string): number | undefined => {
    const v = process.env[name];
    if (v === undefined || v === '') return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new KysoError('INVALID_ARGUMENT', `${name} phải là số nguyên không âm: "${v}"`, `${name} must be a non-negative integer: "${v}"`);
    return n;
  };
  const delivery = {
    ...(envInt('KYSO_DELIVERY_ATTEMPTS') ? { attempts: envInt('KYSO_DELIVERY_ATTEMPTS')! } : {}),
    ...(envInt('KYSO_DELIVERY_BACKOFF_MS') !== undefined ? { backoffMs: envInt('KYSO_DELIVERY_BACKOFF_MS')! } : {}),
    ...(envInt('KYSO_DELIVERY_LOCK_MS') ? { lockDuration: envInt('KYSO_DELIVERY_LOCK_MS')! } : {}),
    ...(envInt('KYSO_DELIVERY_STALLED_MS') ? { stalledInterval: envInt('KYSO_DELIVERY_STALLED_MS')! } : {}),
  };
  return startExchangeRuntime({
    role,
    delivery,
    database: databaseConfigFromEnv(process.env),
    redis,
    verify,
    ...(tsaUrl ? { tsaUrl } : {}),
    ...(verify.network ? { network: verify.network } : {}),
    demo: o.demo && process.env.KYSO_NO_DEMO !== '1',
  });
}

function printExchange(out: Out, url: string, role: string, rt: import('../exchange/runtime.ts').ExchangeRuntime): void {
  out([
    '',
    `Trao đổi văn bản / Exchange: ${rt.db.backend === 'pglite' ? 'PGlite (./data/pg)' : 'PostgreSQL'}, Redis, vai trò / role ${role}.`,
    `  Công dân gửi phản ánh / citizens submit: ${url}/pakn  (tra cứu / look up: ${url}/tra-cuu, kiểm tra chữ ký / check a signature: ${url}/kiem-tra)`,
    `  Trang ký số cho văn thư (khóa của người ký không rời trình duyệt) / clerks' signing page: ${url}/sign`,
  ]);
  if (!rt.demo) return;
  const key = (kind: string) => rt.demo!.agencies.find((a) => a.kind === kind)!;
  const vpcp = key('vpcp');
  const ministry = rt.demo.agencies.find((a) => a.kind === 'agency')!;
  out([
    '',
    '★ Chế độ thử nghiệm: đã tạo 3 cơ quan từ certs-test. Khóa API chỉ hiển thị MỘT LẦN — hãy lưu lại:',
    '★ Demo mode: 3 agencies created from certs-test. The API keys are shown ONCE — keep them:',
    ...rt.demo.agencies.map((a) => `  ${a.id.padEnd(14)} ${a.name.padEnd(32)} ${a.key.key}`),
    `  ${'admin'.padEnd(14)} ${'Quản trị / administrator'.padEnd(32)} ${rt.demo.admin.key}`,
    '',
    'Thử toàn bộ quy trình / Try the whole flow:',
    `  curl -s -H 'Content-Type: application/json' -d '{"submitter":{"name":"Nguyễn Văn Bình","address":"Hà Nội","phone":"0912345678"},"title":"thủ tục cấp lại giấy phép lái xe","content":"Đề nghị đơn giản hóa hồ sơ."}' ${url}/api/v1/public/cases`,
    `  curl -s -H 'Authorization: Bearer ${vpcp.key.key}' -H 'Content-Type: application/json' -d '{"agencyId":"${ministry.id}"}' ${url}/api/v1/cases/<code>/route`,
    `  curl -s -H 'Authorization: Bearer ${ministry.key.key}' ${url}/api/v1/inbox`,
    `  curl -s -H 'Authorization: Bearer ${ministry.key.key}' -H 'Content-Type: application/json' -d '{"answer":"Nội dung trả lời."}' ${url}/api/v1/cases/<code>/reply`,
    `  curl -s -X POST -H 'Authorization: Bearer ${vpcp.key.key}' ${url}/api/v1/cases/<code>/publish`,
    `  curl -s -H 'X-Access-Key: <accessKey>' -o tra-loi.pdf ${url}/api/v1/public/cases/<code>/answer`,
  ]);
}
