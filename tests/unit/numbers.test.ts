// Counts grouped by thousands without Intl (src/lib/numbers.ts says why): the same text as
// `toLocaleString('en')` gives.
import { describe, expect, it } from 'vitest';
import { formatCount, groupThousands } from '$lib/numbers';

describe('counts', () => {
	it('group the digits of a whole number by thousands with commas', () => {
		expect(formatCount(0)).toBe('0');
		expect(formatCount(999)).toBe('999');
		expect(formatCount(1000)).toBe('1,000');
		expect(formatCount(10_000)).toBe('10,000');
		expect(formatCount(1_234_567)).toBe('1,234,567');
		expect(groupThousands('-1234')).toBe('-1,234');
	});

	it('read as toLocaleString("en") reads them', () => {
		for (let count = 1; count < 1e13; count = count * 7 + 3) {
			expect(formatCount(count)).toBe(count.toLocaleString('en'));
		}
	});
});
