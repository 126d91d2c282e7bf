// The test PKI server (CRL, OCSP, TSA) for one test file: started once, back online with empty revocation
// caches before every test, so a test that takes it offline cannot leak into the next.
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { clearCrlCache } from '../../src/pki/crl-client.ts';
import { startTestPkiServer, type TestPkiServer } from '../../src/pki/responders/test-pki-server.ts';
import { clearRevocationCache } from '../../src/verify/revocation-validator.ts';

export function useTestPkiServer(): { readonly server: TestPkiServer } {
  let server: TestPkiServer | undefined;
  beforeAll(async () => {
    server = await startTestPkiServer();
  });
  afterAll(async () => {
    await server?.close();
  });
  beforeEach(() => {
    server!.setOffline(false);
    clearRevocationCache();
    clearCrlCache();
  });
  return {
    get server(): TestPkiServer {
      if (!server) throw new Error('the test PKI server is only available inside tests');
      return server;
    },
  };
}
