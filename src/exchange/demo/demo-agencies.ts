// Demo mode (issue 5, Runtime): on a first start with an empty registry, three agencies from certs-test — the
// Government Office (VPCP), a ministry and a province — with their seal and personal certificates bound, the
// service holding their test keys, and API keys printed once. A newcomer can then walk the whole flow with curl.
// Only ever with the certs-test PKI, whose keys and password are public: never for real agencies.
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pemToDer } from '../../pki/certificate.ts';
import { readTestPkiManifest, type TestPkiIdentity } from '../../pki/responders/test-pki-manifest.ts';
import { createApiKey, type IssuedApiKey } from '../../store/api-key.ts';
import type { Database } from '../../store/database.ts';
import { bindCertificate, createAgency, setSigningKey, type AgencyInput } from '../agencies/agency-registry.ts';
import { appendAuditInTx } from '../audit/audit-log.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const DEMO_PKI_DIR = join(ROOT, 'certs-test/pki');
export const DEMO_IMAGES_DIR = join(ROOT, 'certs-test/images');

interface DemoAgency {
  seal: string;
  person: string;
  input: Omit<AgencyInput, 'id'>;
  competence?: string;
}

const AGENCIES: readonly DemoAgency[] = [
  {
    seal: 'vpcp-seal',
    person: 'person-vpcp',
    competence: 'KT. BỘ TRƯỞNG, CHỦ NHIỆM',
    input: {
      name: 'Văn phòng Chính phủ',
      kind: 'vpcp',
      organization: { OrganizationInCharge: 'Chính phủ', OrganAdd: 'Số 1 Hoàng Hoa Thám, Ba Đình, Hà Nội', Email: 'vanthu@vpcp.example.vn' },
    },
  },
  {
    seal: 'ministry-seal',
    person: 'person-ministry',
    competence: 'TL. BỘ TRƯỞNG',
    input: { name: 'Bộ Tư pháp', organization: { OrganizationInCharge: 'Chính phủ', OrganAdd: '58-60 Trần Phú, Ba Đình, Hà Nội' } },
  },
  {
    seal: 'province-seal',
    person: 'person-province',
    competence: 'TM. ỦY BAN NHÂN DÂN',
    input: { name: 'Ủy ban nhân dân tỉnh Ninh Bình', organization: { OrganizationInCharge: 'Tỉnh Ninh Bình', OrganAdd: 'Đường Lê Hồng Phong, Ninh Bình' } },
  },
];

export interface DemoCredentials {
  agencies: { id: string; name: string; kind: string; key: IssuedApiKey }[];
  admin: IssuedApiKey;
}

/** True when no agency is registered yet (first start). */
export async function registryIsEmpty(db: Database): Promise<boolean> {
  const r = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM agencies');
  return r.rows[0]!.n === 0;
}

/**
 * Registers the demo agencies and issues their API keys, in one transaction (all or nothing). Returns the keys;
 * they are never shown again. `pull` agencies by default; pass webhooks to make some push agencies.
 */
export async function seedDemo(db: Database, opts: { pkiDir?: string; webhooks?: Record<string, string> } = {}): Promise<DemoCredentials> {
  const dir = opts.pkiDir ?? DEMO_PKI_DIR;
  const manifest = readTestPkiManifest(dir);
  const byId = new Map<string, TestPkiIdentity>(manifest.identities.map((i) => [i.id, i]));
  const get = (id: string): TestPkiIdentity => {
    const i = byId.get(id);
    if (!i) throw new Error(`certs-test identity ${id} missing from ${dir}/index.json`);
    return i;
  };
  return db.transaction(async (tx) => {
    const agencies: DemoCredentials['agencies'] = [];
    for (const a of AGENCIES) {
      const seal = get(a.seal);
      const person = get(a.person);
      const id = seal.agencyCode!;
      const webhook = opts.webhooks?.[id];
      const agency = await createAgency(tx, { id, ...a.input, ...(webhook ? { deliveryMode: 'push', webhookUrl: webhook } : {}) });
      for (const ident of [seal, person]) await bindCertificate(tx, id, pemToDer(readFileSync(join(dir, ident.cert), 'utf8')));
      await setSigningKey(tx, {
        agencyId: id,
        purpose: 'seal',
        keyRef: { type: 'pkcs12', path: join(dir, seal.p12), password: seal.password, image: join(DEMO_IMAGES_DIR, 'seal-red.png') },
        signer: {},
      });
      await setSigningKey(tx, {
        agencyId: id,
        purpose: 'person',
        keyRef: { type: 'pkcs12', path: join(dir, person.p12), password: person.password, image: join(DEMO_IMAGES_DIR, 'signature-blue.png') },
        signer: { ...(a.competence ? { Competence: a.competence } : {}), Position: person.title ?? 'Thủ trưởng', FullName: person.commonName },
      });
      const key = await createApiKey(tx, { role: agency.kind === 'vpcp' ? 'vpcp' : 'agency', agencyId: id });
      agencies.push({ id, name: agency.name, kind: agency.kind, key });
    }
    const admin = await createApiKey(tx, { role: 'admin' });
    await appendAuditInTx(tx, { actor: 'system:demo', action: 'demo.seeded', subject: 'registry', details: { agencies: agencies.map((a) => a.id) } });
    return { agencies, admin };
  });
}
