// The agency registry (issue 5, Agencies and access): who takes part in the exchange, how each receives
// (pull inbox or push webhook), which certificates count as the agency's own, and which keys the service may
// sign with on its behalf. Reads and writes only SQL; no HTTP, no queue.
import { createHash, X509Certificate } from 'node:crypto';
import { KysoError } from '../../errors.ts';
import type { Queryable } from '../../store/database.ts';
import { invalidateReadCaches, ReadCache } from '../../store/read-cache.ts';
import { checkAgencyId } from '../queue/delivery-queue.ts';
import type { KeySpec } from '../../pki/keys/signer-spec.ts';
import type { Organization, SignerInfo } from '../edxml/model.ts';

export type AgencyKind = 'vpcp' | 'agency';
export type DeliveryMode = 'pull' | 'push';

export interface Agency {
  id: string;
  name: string;
  kind: AgencyKind;
  deliveryMode: DeliveryMode;
  webhookUrl: string | null;
  /** The edXML From/To block fields beyond OrganId and OrganName (OrganizationInCharge, OrganAdd, Email…). */
  organization: Partial<Organization>;
}

export interface AgencyInput {
  id: string;
  name: string;
  kind?: AgencyKind;
  deliveryMode?: DeliveryMode;
  webhookUrl?: string | null;
  organization?: Partial<Organization>;
}

/**
 * A key reference as stored in agency_signing_keys.key_ref (never a key itself: a KeySpec of signer-spec.ts —
 * PKCS#12, PKCS#11 or CSC), plus the PNG drawn with the signature (`image`: the person's signature or the seal).
 */
export type KeyRef = KeySpec & { image?: string };

export type KeyPurpose = 'seal' | 'person';

export interface AgencySigningKey {
  agencyId: string;
  purpose: KeyPurpose;
  keyRef: KeyRef;
  signer: SignerInfo;
}

interface AgencyRow {
  id: string;
  name: string;
  kind: AgencyKind;
  delivery_mode: DeliveryMode;
  webhook_url: string | null;
  organization: Partial<Organization>;
}

const toAgency = (r: AgencyRow): Agency => ({
  id: r.id,
  name: r.name,
  kind: r.kind,
  deliveryMode: r.delivery_mode,
  webhookUrl: r.webhook_url,
  organization: r.organization ?? {},
});

const COLUMNS = 'id, name, kind, delivery_mode, webhook_url, organization';

function invalid(vi: string, en: string): KysoError {
  return new KysoError('INVALID_ARGUMENT', vi, en);
}

/** Checks an agency definition before it reaches SQL (the CHECK constraints would say less). */
export function checkAgencyInput(a: AgencyInput): Required<AgencyInput> {
  checkAgencyId(a.id);
  if (typeof a.name !== 'string' || a.name.trim() === '' || a.name.length > 300) throw invalid('Tên cơ quan phải có 1–300 ký tự', 'The agency name must have 1–300 characters');
  const kind = a.kind ?? 'agency';
  if (kind !== 'vpcp' && kind !== 'agency') throw invalid(`Loại cơ quan không hợp lệ: ${String(kind)}`, `Invalid agency kind: ${String(kind)}`);
  const deliveryMode = a.deliveryMode ?? (a.webhookUrl ? 'push' : 'pull');
  if (deliveryMode !== 'pull' && deliveryMode !== 'push') throw invalid(`Cách nhận không hợp lệ: ${String(deliveryMode)}`, `Invalid delivery mode: ${String(deliveryMode)}`);
  const webhookUrl = a.webhookUrl ?? null;
  if (webhookUrl !== null) {
    let u: URL;
    try {
      u = new URL(webhookUrl);
    } catch {
      throw invalid(`Địa chỉ webhook không hợp lệ: ${webhookUrl}`, `Invalid webhook URL: ${webhookUrl}`);
    }
    if (u.protocol !== 'https:' && u.protocol !== 'http:') throw invalid('Webhook phải là http(s)', 'The webhook must be http(s)');
  }
  if (deliveryMode === 'push' && !webhookUrl) throw invalid('Cơ quan nhận kiểu đẩy (push) cần địa chỉ webhook', 'A push agency needs a webhook URL');
  const organization = a.organization ?? {};
  if (typeof organization !== 'object' || Array.isArray(organization)) throw invalid('organization phải là đối tượng', 'organization must be an object');
  return { id: a.id, name: a.name.trim(), kind, deliveryMode, webhookUrl, organization };
}

export async function createAgency(db: Queryable, input: AgencyInput): Promise<Agency> {
  const a = checkAgencyInput(input);
  const r = await db.query<AgencyRow>(
    `INSERT INTO agencies (id, name, kind, delivery_mode, webhook_url, organization) VALUES ($1, $2, $3, $4, $5, $6::jsonb) RETURNING ${COLUMNS}`,
    [a.id, a.name, a.kind, a.deliveryMode, a.webhookUrl, JSON.stringify(a.organization)],
  );
  invalidateReadCaches();
  return toAgency(r.rows[0]!);
}

/** Changes delivery settings, name or organization block; the id and kind never change. */
export async function updateAgency(db: Queryable, id: string, patch: Partial<Omit<AgencyInput, 'id' | 'kind'>>): Promise<Agency | undefined> {
  const current = await getAgency(db, id);
  if (!current) return undefined;
  const next = checkAgencyInput({
    id,
    kind: current.kind,
    name: patch.name ?? current.name,
    deliveryMode: patch.deliveryMode ?? (patch.webhookUrl !== undefined ? (patch.webhookUrl ? 'push' : 'pull') : current.deliveryMode),
    webhookUrl: patch.webhookUrl !== undefined ? patch.webhookUrl : current.webhookUrl,
    organization: patch.organization ?? current.organization,
  });
  const r = await db.query<AgencyRow>(
    `UPDATE agencies SET name = $2, delivery_mode = $3, webhook_url = $4, organization = $5::jsonb WHERE id = $1 RETURNING ${COLUMNS}`,
    [id, next.name, next.deliveryMode, next.webhookUrl, JSON.stringify(next.organization)],
  );
  invalidateReadCaches();
  return r.rows[0] ? toAgency(r.rows[0]) : undefined;
}

// Read on every received message (sender, recipients) and every delivery: see store/read-cache.ts for how
// fresh a cached agency is.
const agencyCache = new ReadCache<Agency>();

export async function getAgency(db: Queryable, id: string): Promise<Agency | undefined> {
  const a = await agencyCache.get(db, id, async () => {
    const r = await db.query<AgencyRow>(`SELECT ${COLUMNS} FROM agencies WHERE id = $1`, [id]);
    return r.rows[0] ? toAgency(r.rows[0]) : undefined;
  });
  // A copy: a caller changing its agency must not change the cached one.
  return a && { ...a, organization: { ...a.organization } };
}

export async function listAgencies(db: Queryable): Promise<Agency[]> {
  const r = await db.query<AgencyRow>(`SELECT ${COLUMNS} FROM agencies ORDER BY kind DESC, id`);
  return r.rows.map(toAgency);
}

/** The Government Office, which receives citizens' cases and routes them; undefined before it is registered. */
export async function getVpcp(db: Queryable): Promise<Agency | undefined> {
  const r = await db.query<AgencyRow>(`SELECT ${COLUMNS} FROM agencies WHERE kind = 'vpcp'`);
  return r.rows[0] ? toAgency(r.rows[0]) : undefined;
}

/** The edXML Organization block for an agency (From / To). */
export function organizationOf(a: Agency): Organization {
  return { ...a.organization, OrganId: a.id, OrganName: a.organization.OrganName ?? a.name } as Organization;
}

export const certificateSha256 = (der: Uint8Array): string => createHash('sha256').update(der).digest('hex');

export interface BoundCertificate {
  sha256: string;
  agencyId: string;
  subject: string;
  notAfter: Date;
}

/**
 * Binds a certificate to an agency: packages signed with it are accepted as that agency's. A certificate
 * belongs to one agency at most; binding it to a second one is refused (DB_CONFLICT), rebinding to the same is
 * a no-op.
 */
export async function bindCertificate(db: Queryable, agencyId: string, der: Uint8Array): Promise<BoundCertificate> {
  let x: X509Certificate;
  try {
    x = new X509Certificate(der);
  } catch (e) {
    throw new KysoError('INVALID_ARGUMENT', 'Chứng thư số không đọc được (cần DER hoặc PEM X.509)', 'Unreadable certificate (DER or PEM X.509 expected)', { cause: e });
  }
  const raw = new Uint8Array(x.raw);
  const sha256 = certificateSha256(raw);
  const notAfter = new Date(x.validTo);
  const r = await db.query<{ agency_id: string }>(
    `INSERT INTO agency_certificates (cert_sha256, agency_id, der, subject, not_after) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (cert_sha256) DO UPDATE SET cert_sha256 = EXCLUDED.cert_sha256 RETURNING agency_id`,
    [sha256, agencyId, raw, x.subject.replace(/\n/g, ', '), notAfter],
  );
  invalidateReadCaches();
  const owner = r.rows[0]!.agency_id;
  if (owner !== agencyId) {
    throw new KysoError('DB_CONFLICT', `Chứng thư số này đã gắn với cơ quan ${owner}`, `This certificate is already bound to agency ${owner}`);
  }
  return { sha256, agencyId, subject: x.subject.replace(/\n/g, ', '), notAfter };
}

export async function unbindCertificate(db: Queryable, agencyId: string, sha256: string): Promise<boolean> {
  const r = await db.query('DELETE FROM agency_certificates WHERE agency_id = $1 AND cert_sha256 = $2', [agencyId, sha256]);
  invalidateReadCaches();
  return r.rowCount > 0;
}

export async function listCertificates(db: Queryable, agencyId: string): Promise<BoundCertificate[]> {
  const r = await db.query<{ cert_sha256: string; agency_id: string; subject: string; not_after: Date }>(
    'SELECT cert_sha256, agency_id, subject, not_after FROM agency_certificates WHERE agency_id = $1 ORDER BY created_at',
    [agencyId],
  );
  return r.rows.map((x) => ({ sha256: x.cert_sha256, agencyId: x.agency_id, subject: x.subject, notAfter: x.not_after }));
}

/** Whose certificate is this (by the SHA-256 of its DER, as validation reports give it)? undefined when unbound. */
const ownerCache = new ReadCache<string>();

export async function certificateOwner(db: Queryable, certSha256: string): Promise<string | undefined> {
  return ownerCache.get(db, certSha256, async () => {
    const r = await db.query<{ agency_id: string }>('SELECT agency_id FROM agency_certificates WHERE cert_sha256 = $1', [certSha256]);
    return r.rows[0]?.agency_id;
  });
}

export async function setSigningKey(db: Queryable, k: AgencySigningKey): Promise<void> {
  if (!k.keyRef || typeof k.keyRef.type !== 'string') throw invalid('key_ref cần trường type', 'key_ref needs a type');
  await db.query(
    `INSERT INTO agency_signing_keys (agency_id, purpose, key_ref, signer) VALUES ($1, $2, $3::jsonb, $4::jsonb)
     ON CONFLICT (agency_id, purpose) DO UPDATE SET key_ref = EXCLUDED.key_ref, signer = EXCLUDED.signer`,
    [k.agencyId, k.purpose, JSON.stringify(k.keyRef), JSON.stringify(k.signer ?? {})],
  );
}

export async function getSigningKey(db: Queryable, agencyId: string, purpose: KeyPurpose): Promise<AgencySigningKey | undefined> {
  const r = await db.query<{ key_ref: KeyRef; signer: SignerInfo }>('SELECT key_ref, signer FROM agency_signing_keys WHERE agency_id = $1 AND purpose = $2', [agencyId, purpose]);
  const row = r.rows[0];
  return row ? { agencyId, purpose, keyRef: row.key_ref, signer: row.signer ?? {} } : undefined;
}
