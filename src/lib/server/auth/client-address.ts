import { isIP } from 'node:net';

/**
 * The unit that address-based limits count: an IPv4 address, or the /64 an IPv6 address belongs
 * to (one subscriber usually holds a whole /64, so rotating within it must not reset a limit).
 */
export function addressGroup(address: string): string {
	const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
	if (mapped) return mapped[1]!;
	if (isIP(address) !== 6) return address;
	return expandIPv6(address).slice(0, 4).join(':') + '::/64';
}

function expandIPv6(address: string): string[] {
	const [head, tail] = address.toLowerCase().split('%')[0]!.split('::') as [string, string?];
	const left = head ? head.split(':') : [];
	const right = tail ? tail.split(':') : [];
	const missing = tail === undefined ? 0 : 8 - left.length - right.length;
	return [...left, ...Array<string>(missing).fill('0'), ...right].map((part) =>
		part.replace(/^0+(?=.)/, '')
	);
}
