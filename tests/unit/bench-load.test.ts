// The bench's latency figures: nearest-rank percentiles, and rounds combined over all their
// requests rather than by their worst round.
import { describe, expect, it } from 'vitest';
import { combineLoads, percentilesOf, withoutLatencies, type LoadFigures } from '../../bench/load';

function round(latenciesMs: number[], seconds = 1): LoadFigures {
	return {
		requests: latenciesMs.length,
		requestsPerSecond: latenciesMs.length / seconds,
		durationSeconds: seconds,
		...percentilesOf(latenciesMs),
		latenciesMs,
		errors: 0
	};
}

describe('bench latencies', () => {
	it('take the nearest rank: with 100 values the p99 is the 99th smallest', () => {
		const values = Array.from({ length: 100 }, (_, i) => 100 - i); // 100 .. 1, unsorted
		expect(percentilesOf(values)).toEqual({ p50: 50, p99: 99 });
		expect(percentilesOf([7])).toEqual({ p50: 7, p99: 7 });
		expect(percentilesOf([])).toEqual({ p50: 0, p99: 0 });
	});

	it('sort numerically, not as text', () => {
		expect(percentilesOf([9, 10, 100, 20]).p50).toBe(10);
	});

	it('combine rounds over every request: one slow round does not make the whole p99', () => {
		// Three quiet rounds and one with a burst of slow answers (a full GC, say): 2 % of that
		// round but 0.5 % of all the requests, so below the combined p99.
		const quiet = () => round(Array.from({ length: 100 }, () => 10));
		const burst = round([...Array.from({ length: 98 }, () => 10), 500, 500]);
		expect(burst.p99).toBe(500);
		const combined = combineLoads([quiet(), burst, quiet(), quiet()]);
		expect(combined.requests).toBe(400);
		expect(combined.durationSeconds).toBe(4);
		expect(combined.requestsPerSecond).toBe(100);
		expect(combined.p50).toBe(10);
		expect(combined.p99).toBe(10);
		// ... while a tail every round shares stays in the combined figure.
		const slowTail = () => round([...Array.from({ length: 98 }, () => 10), 300, 300]);
		expect(combineLoads([slowTail(), slowTail()]).p99).toBe(300);
	});

	it('are left out of results.json', () => {
		const json = JSON.stringify({ page: round([1, 2, 3]) }, withoutLatencies);
		expect(JSON.parse(json)).toEqual({
			page: { requests: 3, requestsPerSecond: 3, durationSeconds: 1, p50: 2, p99: 3, errors: 0 }
		});
	});
});
