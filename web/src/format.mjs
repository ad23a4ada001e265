// How times, ids, serials and states are shown.
const DAY = 86400000;

export function parseTime(iso) {
  if (!iso) return null;
  const t = Date.parse(iso);
  return Number.isNaN(t) ? null : new Date(t);
}

const dateFormat = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'short', day: 'numeric' });
const dateTimeFormat = new Intl.DateTimeFormat(undefined, {
  year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit',
});
const shortDateFormat = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', timeZone: 'UTC' });

export function formatDate(iso) {
  const d = parseTime(iso);
  return d ? dateFormat.format(d) : '—';
}

export function formatDateTime(iso) {
  const d = parseTime(iso);
  return d ? dateTimeFormat.format(d) : '—';
}

/** Week labels of the timeline, which are UTC days. */
export function formatWeek(iso) {
  const d = parseTime(iso);
  return d ? shortDateFormat.format(d) : '—';
}

export function relativeTime(iso, now = Date.now()) {
  const d = parseTime(iso);
  if (!d) return '—';
  const seconds = Math.round((now - d.getTime()) / 1000);
  const abs = Math.abs(seconds);
  const suffix = seconds >= 0 ? 'ago' : 'from now';
  if (abs < 45) return seconds >= 0 ? 'just now' : 'in a moment';
  if (abs < 3600) return `${Math.round(abs / 60)} min ${suffix}`;
  if (abs < 86400) return `${Math.round(abs / 3600)} h ${suffix}`;
  return `${Math.round(abs / 86400)} d ${suffix}`;
}

/** Whole days until iso (negative once past). */
export function daysLeft(iso, now = Date.now()) {
  const d = parseTime(iso);
  if (!d) return null;
  return Math.floor((d.getTime() - now) / DAY);
}

/** The colour band of an expiry, always shown together with its text. */
export function expiryBand(days, expired = false) {
  if (days === null) return 'band-none';
  if (expired || days < 0) return 'band-expired';
  if (days < 7) return 'band-urgent';
  if (days <= 30) return 'band-soon';
  return 'band-ok';
}

export function expiryText(iso, now = Date.now()) {
  const d = parseTime(iso);
  if (!d) return '';
  const ms = d.getTime() - now;
  if (ms < 0) {
    const ago = Math.floor(-ms / DAY);
    return ago === 0 ? 'expired today' : `expired ${ago} d ago`;
  }
  const days = Math.floor(ms / DAY);
  if (days === 0) return `${Math.max(1, Math.floor(ms / 3600000))} h left`;
  return `${days} d left`;
}

/** active, revoked, expired, or superseded (active but already renewed). */
export function certificateState(cert) {
  if (cert.status === 'active' && cert.renewed_by) return 'superseded';
  if (cert.status === 'active' && parseTime(cert.not_after) && parseTime(cert.not_after).getTime() < Date.now()) return 'expired';
  return cert.status || 'unknown';
}

export function shortSerial(serial) {
  if (!serial) return '—';
  return serial.length > 14 ? `${serial.slice(0, 6)}…${serial.slice(-4)}` : serial;
}

/** crt_2al74uowruu27r2myevzhu7rvc → crt_…vzhu7rvc: ids begin with their creation time, so the tail tells them apart. */
export function shortId(id) {
  if (!id) return '—';
  const cut = id.indexOf('_');
  return id.length > 16 && cut > 0 ? `${id.slice(0, cut + 1)}…${id.slice(-8)}` : id;
}

export function sanCount(cert) {
  const sans = cert.sans || {};
  const names = [...(sans.dns || []), ...(sans.ip || []), ...(sans.email || []), ...(sans.uri || [])];
  return names.filter((name) => name !== cert.common_name).length;
}

export function keyText(cert) {
  if (!cert.key_type) return '—';
  if (cert.key_type === 'ecdsa' && cert.key_bits) return `ECDSA P-${cert.key_bits}`;
  if (cert.key_type === 'rsa') return cert.key_bits ? `RSA ${cert.key_bits}` : 'RSA';
  if (cert.key_type === 'ed25519') return 'Ed25519';
  if (cert.key_type === 'ed448') return 'Ed448';
  return `${cert.key_type}${cert.key_bits ? ` ${cert.key_bits}` : ''}`;
}

/** { text, kind }: what automatic renewal is doing for a certificate. */
export function renewalState(cert) {
  const r = cert.renewal || {};
  if (r.failed_attempts > 0) return { text: `failing (${r.failed_attempts})`, kind: 'failing', detail: r.error && (r.error.message || r.error.code) };
  if (r.request_id) return { text: 'renewing', kind: 'renewing' };
  if (cert.renewed_by) return { text: 'renewed', kind: 'renewed' };
  return cert.auto_renew ? { text: 'auto', kind: 'auto' } : { text: 'manual', kind: 'manual' };
}

export const REVOCATION_REASONS = [
  ['unspecified', 'Unspecified'],
  ['key_compromise', 'Key compromise'],
  ['ca_compromise', 'CA compromise'],
  ['affiliation_changed', 'Affiliation changed'],
  ['superseded', 'Superseded'],
  ['cessation_of_operation', 'Cessation of operation'],
  ['certificate_hold', 'Certificate hold'],
  ['privilege_withdrawn', 'Privilege withdrawn'],
  ['aa_compromise', 'AA compromise'],
];

export function reasonLabel(reason) {
  const found = REVOCATION_REASONS.find(([value]) => value === reason);
  return found ? found[1] : reason || '—';
}

export function plural(n, one, many = `${one}s`) {
  return `${n} ${n === 1 ? one : many}`;
}
