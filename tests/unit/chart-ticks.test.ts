import { describe, expect, it } from 'vitest';
import { integerAxis } from '$lib/components/chart-ticks';

describe("the sign-in chart's y-axis ticks are distinct integers", () => {
	it.each([0, 1, 2, 3, 4, 5, 7, 9, 10, 11, 13, 37, 99, 100, 101, 999, 12_345])(
		'for a largest count of %i: integers from 0, distinct, evenly spaced, covering it',
		(max) => {
			const { top, ticks } = integerAxis(max);
			expect(ticks.every(Number.isInteger)).toBe(true);
			expect(new Set(ticks).size).toBe(ticks.length);
			expect(ticks[0]).toBe(0);
			expect(ticks.at(-1)).toBe(top);
			expect(top).toBeGreaterThanOrEqual(max);
			expect(ticks.length).toBeGreaterThanOrEqual(2);
			expect(ticks.length).toBeLessThanOrEqual(5);
			const steps = new Set(ticks.slice(1).map((tick, i) => tick - ticks[i]!));
			expect(steps.size).toBe(1);
		}
	);

	it('small counts get a tick per integer: 1 is "0, 1", not "0, 1, 1"', () => {
		expect(integerAxis(1).ticks).toEqual([0, 1]);
		expect(integerAxis(3).ticks).toEqual([0, 1, 2, 3]);
	});

	it('larger counts step by 1, 2 or 5 times a power of ten', () => {
		expect(integerAxis(7).ticks).toEqual([0, 2, 4, 6, 8]);
		expect(integerAxis(10).ticks).toEqual([0, 5, 10]);
		expect(integerAxis(101).ticks).toEqual([0, 50, 100, 150]);
	});
});
