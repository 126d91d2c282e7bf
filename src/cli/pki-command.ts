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
    .option('--csc-port <port>', 'thêm dịch vụ ký số từ xa CSC API v2 thử nghiệm giữ khóa certs-test (also serve the CSC v2 remote-signing test service)')
    .action(async (o: { port: string; host: string; dir?: string; cscPort?: string }) => {
      const port = Number(o.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) {
        throw new KysoError('INVALID_ARGUMENT', `Cổng không hợp lệ: ${o.port}`, `Invalid port: ${o.port}`);
      }
      const cscPort = o.cscPort === undefined ? undefined : Number(o.cscPort);
      if (cscPort !== undefined && (!Number.isInteger(cscPort) || cscPort < 0 || cscPort > 65535)) {
        throw new KysoError('INVALID_ARGUMENT', `Cổng CSC không hợp lệ: ${o.cscPort}`, `Invalid CSC port: ${o.cscPort}`);
      }
      const server = await serveTestPki({ port, host: o.host, dir: o.dir });
      // Loaded only on request: the CSC test service lives with the test keys in certs-test/.
      const csc = cscPort === undefined ? undefined : await (await import('../../certs-test/csc-server.ts')).startCscServer({ port: cscPort, host: o.host });
      if (csc) process.stdout.write(`CSC API v2: ${csc.url} (client kyso-test / kyso-test-secret, PIN 123456; credentials vpcp-seal, ministry-seal, person-vpcp)\n`);
      process.stdout.write('Máy chủ PKI thử nghiệm đang chạy; Ctrl+C để dừng. (Test PKI server running; Ctrl+C to stop.)\n');
      await waitForSignal();
      await csc?.close();
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
