// `kyso queue dead` / `kyso queue replay ID…` — the operator's view of messages that could not be delivered and
// the command to send them again once the cause is fixed. It talks to a running service's admin API (so it
// works the same with embedded PGlite, which only the server process may open, and with PostgreSQL):
// --url (default $KYSO_URL or http://127.0.0.1:8080) and an admin API key (--key or $KYSO_API_KEY).
import { Command } from 'commander';
import { KysoError } from '../errors.ts';

interface ApiOptions {
  url?: string;
  key?: string;
  json?: boolean;
}

interface DeadLetterView {
  messageId: string;
  agencyId: string;
  reason: string;
  attempts: number;
  failedAt: string;
}

function api(o: ApiOptions): { url: string; key: string } {
  const url = (o.url ?? process.env.KYSO_URL ?? 'http://127.0.0.1:8080').replace(/\/+$/, '');
  const key = o.key ?? process.env.KYSO_API_KEY;
  if (!key) throw new KysoError('INVALID_ARGUMENT', 'Cần khóa API quản trị: --key hoặc biến KYSO_API_KEY', 'An admin API key is required: --key or KYSO_API_KEY');
  return { url, key };
}

async function call(o: ApiOptions, method: string, path: string): Promise<unknown> {
  const { url, key } = api(o);
  let res: Response;
  try {
    res = await fetch(`${url}${path}`, { method, headers: { authorization: `Bearer ${key}` }, signal: AbortSignal.timeout(15_000) });
  } catch (e) {
    throw new KysoError('NETWORK', `Không kết nối được dịch vụ kyso tại ${url}`, `Cannot reach the kyso service at ${url}`, { cause: e });
  }
  const body = (await res.json().catch(() => ({}))) as Record<string, unknown>;
  if (!res.ok) {
    const code = res.status === 401 || res.status === 403 ? 'INVALID_ARGUMENT' : res.status === 404 ? 'NOT_FOUND' : 'IO';
    throw new KysoError(code, String(body.detail ?? `HTTP ${res.status}`), String(body.detail_en ?? `HTTP ${res.status}`));
  }
  return body;
}

export function registerQueueCommand(program: Command): void {
  const queue = program.command('queue').description('Hàng đợi chuyển phát: gói tin không chuyển được và chuyển lại (delivery queue: dead letters and replay)');
  const common = (c: Command) =>
    c
      .option('--url <url>', 'địa chỉ dịch vụ kyso (service URL; default $KYSO_URL or http://127.0.0.1:8080)')
      .option('--key <key>', 'khóa API quản trị (admin API key; default $KYSO_API_KEY)');

  common(queue.command('dead').description('Liệt kê gói tin không chuyển được, kèm lý do (list dead letters with their reasons)'))
    .option('--json', 'in JSON')
    .action(async (o: ApiOptions) => {
      const r = (await call(o, 'GET', '/api/v1/admin/dead-letters')) as { deadLetters: DeadLetterView[] };
      if (o.json) {
        process.stdout.write(`${JSON.stringify(r.deadLetters, null, 2)}\n`);
        return;
      }
      if (r.deadLetters.length === 0) {
        process.stdout.write('Không có gói tin nào bị kẹt. (No dead letters.)\n');
        return;
      }
      for (const d of r.deadLetters) {
        process.stdout.write(`${d.messageId}  → ${d.agencyId}  ${d.attempts} lần thử / attempts  ${d.failedAt}\n    ${d.reason}\n`);
      }
      process.stdout.write(`${r.deadLetters.length} gói tin. Chuyển lại: kyso queue replay <id> | --all (replay once the cause is fixed)\n`);
    });

  common(queue.command('replay').description('Chuyển lại gói tin (replay dead letters)').argument('[ids...]', 'mã thông điệp (message ids)'))
    .option('--all', 'chuyển lại tất cả (replay every dead letter)')
    .action(async (ids: string[], o: ApiOptions & { all?: boolean }) => {
      let targets = ids;
      if (o.all) targets = ((await call(o, 'GET', '/api/v1/admin/dead-letters')) as { deadLetters: DeadLetterView[] }).deadLetters.map((d) => d.messageId);
      if (targets.length === 0) throw new KysoError('INVALID_ARGUMENT', 'Cần mã thông điệp hoặc --all', 'Give message ids or --all');
      for (const id of targets) {
        await call(o, 'POST', `/api/v1/admin/dead-letters/${encodeURIComponent(id)}/replay`);
        process.stdout.write(`Đã đưa lại vào hàng đợi / requeued: ${id}\n`);
      }
    });
}
