// `kyso serve` (what `npm start` runs). The HTTP API arrives with the verification issue; until then the
// service part that exists is the demo PKI (CRL/OCSP/TSA for certs-test), which the CLI walkthrough uses.
import { Command } from 'commander';
import { serveTestPki } from '../pki/responders/test-pki-server.ts';
import { waitForSignal } from './pki-command.ts';

export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('Chạy dịch vụ kyso (run the kyso service; for now: the demo PKI services only)')
    .option('--pki-port <port>', 'cổng máy chủ PKI thử nghiệm (demo PKI port)', '8400')
    .action(async (o: { pkiPort: string }) => {
      process.stdout.write(
        [
          'kyso: giao diện HTTP chưa có trong phiên bản này; hiện chỉ có lệnh `kyso` (CLI).',
          'kyso: the HTTP API is not part of this version yet; only the `kyso` CLI exists.',
          'Đang chạy máy chủ PKI thử nghiệm (CRL/OCSP/TSA) cho chứng thư trong certs-test:',
          'Starting the demo PKI server (CRL/OCSP/TSA) for the certs-test certificates:',
          '',
        ].join('\n'),
      );
      const server = await serveTestPki({ port: Number(o.pkiPort) });
      process.stdout.write('Ký thử: xem README, mục "Ký và kiểm tra tệp PDF đầu tiên". Ctrl+C để dừng.\n');
      await waitForSignal();
      await server.close();
    });
}
