// A PDF signed by another product: poppler's pdfsig with the key in a fresh NSS database, for the tests that
// check kyso extends (B-LTA) a signature it did not make without breaking it.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { testPki } from '../../certs-test/index.ts';

const run = promisify(execFile);

export interface PdfsigSigned {
  /** The NSS database directory; the signed file is in it, and a test may write its outputs there. */
  dir: string;
  bytes: Buffer;
}

/** Signs `inputPath` with pdfsig as person-province (NSS, adbe.pkcs7.detached) in a new field named PopplerSig. */
export async function signWithPdfsig(inputPath: string): Promise<PdfsigSigned> {
  const dir = mkdtempSync(join(tmpdir(), 'kyso-nsskey-'));
  await run('certutil', ['-N', '-d', `sql:${dir}`, '--empty-password']);
  await run('pk12util', ['-i', testPki.identity('person-province').p12, '-d', `sql:${dir}`, '-W', testPki.password]);
  const signedPath = join(dir, 'pdfsig-signed.pdf');
  await run('pdfsig', ['-nssdir', `sql:${dir}`, '-nick', 'person-province', '-add-signature', '-new-signature-field-name', 'PopplerSig', inputPath, signedPath]);
  return { dir, bytes: readFileSync(signedPath) };
}
