// Recipient addresses reach SMTP envelopes and headers, so anything that could smuggle in a
// second recipient or a header (line breaks, lists, display names) is refused, not cleaned.

// RFC 5321 atext without `!` and `%`: old relays read them as source routes to another host.
const LOCAL_PART = /^[a-z0-9#$&'*+/=?^_`{|}~-]+(\.[a-z0-9#$&'*+/=?^_`{|}~-]+)*$/i;
// LDH labels (IDNs arrive as punycode); a single label such as `localhost` is allowed for dev.
const DOMAIN_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i;

/** One plain mailbox address (`local@domain`): no display name, list, comment or line break. */
export function isSingleAddress(value: string): boolean {
	if (typeof value !== 'string' || value.length > 254) return false;
	const at = value.indexOf('@');
	if (at < 1 || at !== value.lastIndexOf('@')) return false;
	const local = value.slice(0, at);
	const domain = value.slice(at + 1);
	if (local.length > 64 || !LOCAL_PART.test(local)) return false;
	const labels = domain.split('.');
	// A numeric top-level label would make this an IP address, which we never mail directly.
	if (/^\d+$/.test(labels.at(-1) ?? '')) return false;
	return labels.every((label) => DOMAIN_LABEL.test(label));
}

/** Hides most of the local part for logs and screens: `alice@example.com` -> `a***e@example.com`. */
export function maskEmail(address: string): string {
	const at = address.lastIndexOf('@');
	if (at < 0) return '***';
	const local = address.slice(0, at);
	const domain = address.slice(at);
	// A fixed run of stars so the mask does not reveal the length of the local part.
	if (local.length >= 3) return `${local[0]}***${local.at(-1)}${domain}`;
	if (local.length === 2) return `${local[0]}*${domain}`;
	return `*${domain}`;
}
