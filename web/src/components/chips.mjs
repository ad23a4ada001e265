// Filters shown as chips: "Key type: rsa ×".
import { html } from '../html.mjs';

const LABELS = {
  q: 'Search',
  text: 'Text',
  status: 'Status',
  tenant: 'Tenant',
  ca: 'CA',
  profile: 'Profile',
  service: 'Owner',
  key_type: 'Key type',
  key_bits: 'Key bits',
  curve: 'Curve',
  renewal: 'Renewal',
  expiring_within_days: 'Expiring within (days)',
  expiring_before: 'Expiring before',
  name_pattern: 'Name pattern',
  common_name: 'Common name',
  san: 'Name',
  ip: 'IP address',
  serial: 'Serial',
  issued_since: 'Issued since',
  issued_until: 'Issued until',
  revoked_since: 'Revoked since',
  revoked_until: 'Revoked until',
  requester: 'Requester',
  business_unit: 'Business unit',
  ticket: 'Ticket',
};

export function fieldLabel(field) {
  return LABELS[field] || field.replace(/_/g, ' ');
}

export function Chip({ field, value, onRemove, preview = false }) {
  const text = `${fieldLabel(field)}: ${value}`;
  return html`<li class=${`chip${preview ? ' chip-preview' : ''}`} data-testid=${preview ? 'chip-preview' : 'chip'}
      data-field=${field} data-value=${String(value)}>
    <span class="chip-text">${text}</span>
    ${onRemove && html`<button type="button" class="chip-remove" aria-label=${`Remove filter ${text}`}
      onClick=${() => onRemove(field, value)}>×</button>`}
  </li>`;
}

export function ChipList({ chips, onRemove, preview = false, label }) {
  if (!chips || chips.length === 0) return null;
  return html`<ul class="chips" aria-label=${label}>
    ${chips.map((chip) => html`<${Chip} key=${`${chip.field}=${chip.value}`} field=${chip.field} value=${chip.value}
      onRemove=${onRemove} preview=${preview} />`)}
  </ul>`;
}
