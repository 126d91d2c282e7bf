// `kyso pki serve`: the local test PKI server (CRLs, OCSP, RFC 3161 timestamps) for certs-test, so the demo
// certificates' AIA/CDP URLs (http://127.0.0.1:8400/...) answer on a developer machine.
import { Command } from 'commander';
import { KysoError } from '../errors.ts';
import { serveTestPki } from '../pki/responders/test-pki-server.ts';

export function registerPkiCommands(program: Command): void {
  const pki = program.command('pki').description('Hạ tầng khóa công khai thử nghiệm (test PKI tools)');
  pki
    .command('serve')
    .description('Chạy máy chủ CRL/OCSP/TSA thử nghiệm cho certs-test (serve CRLs, OCSP and timestamps for certs-test)')
    .option('--port <port>', 'cổng (port)', '8400')
    .option('--host <host>', 'địa chỉ lắng nghe (listen address)', '127.0.0.1')
    .option('--dir <dir>', 'thư mục PKI thử nghiệm (test PKI directory)')
    .action(async (o: { port: string; host: string; dir?: string }) => {
      const port = Number(o.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) {
        throw new KysoError('INVALID_ARGUMENT', `Cổng không hợp lệ: ${o.port}`, `Invalid port: ${o.port}`);
      }
      const server = await serveTestPki({ port, host: o.host, dir: o.dir });
      process.stdout.write('Máy chủ PKI thử nghiệm đang chạy; Ctrl+C để dừng. (Test PKI server running; Ctrl+C to stop.)\n');
      await waitForSignal();
      await server.close();
    });
}

export function waitForSignal(): Promise<void> {
  return new Promise((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
