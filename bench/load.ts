// Load from this process with autocannon, and the figures the benchmark keeps from it.
import autocannon, { type Instance, type Options, type Result } from 'autocannon';

export interface LoadFigures {
	requests: number;
	requestsPerSecond: number;
	durationSeconds: number;
	/** Milliseconds, over every answer of the run (or of all its rounds, see `combineLoads`). */
	p50: number;
	p99: number;
	/**
	 * Each answer's latency (ms), kept so that rounds combine into the percentiles of all their
	 * requests: the worst round's p99 is not the p99 of the scenario. Left out of results.json.
	 */
	latenciesMs: number[];
	/** Connection errors, timeouts and non-2xx answers. */
	errors: number;
}

export interface RunningLoad {
	/** Stops sending and resolves with what was measured. */
	stop(): Promise<LoadFigures>;
	done: Promise<LoadFigures>;
}

/** Starts a load; it ends after `options.duration` seconds or when stopped. */
export function startLoad(options: Options): RunningLoad {
	let instance: Instance;
	const latenciesMs: number[] = [];
	const done = new Promise<LoadFigures>((resolve, reject) => {
		instance = autocannon(options, (error, result) =>
			error ? reject(error) : resolve(figuresOf(result, latenciesMs, options))
		);
		// As autocannon's own histogram: answers that were not 2xx are counted as errors, not timed.
		instance.on('response', (_client, status, _bytes, responseTimeMs) => {
			if (status >= 200 && status < 300) latenciesMs.push(responseTimeMs);
		});
	});
	return {
		done,
		stop() {
			instance.stop();
			return done;
		}
	};
}

/** Runs a load for `seconds`. */
export function runLoad(options: Options, seconds: number): Promise<LoadFigures> {
	return startLoad({ ...options, duration: seconds }).done;
}

function figuresOf(result: Result, latenciesMs: number[], options: Options): LoadFigures {
	return {
		requests: result.requests.total,
		requestsPerSecond: result.requests.total / result.duration,
		durationSeconds: result.duration,
		// At a fixed rate autocannon corrects its histogram for coordinated omission (a late answer
		// also delays the requests that should have been sent meanwhile); such loads run once.
		...(options.overallRate
			? { p50: result.latency.p50, p99: result.latency.p99 }
			: percentilesOf(latenciesMs)),
		latenciesMs,
		errors: result.errors + result.non2xx
	};
}

/**
 * Rounds of one load as one run: totals over the whole time, percentiles over every request of
 * every round. (Taking the worst round's p99 instead, as the bench did until 2026-12-07, reads the
 * tail of a 2-second slice that happened to hold a full garbage collection.)
 */
export function combineLoads<T extends LoadFigures>(rounds: T[]): LoadFigures {
	const sum = (figure: (round: T) => number) =>
		rounds.reduce((total, round) => total + figure(round), 0);
	const requests = sum((round) => round.requests);
	const durationSeconds = sum((round) => round.durationSeconds);
	const latenciesMs = rounds.flatMap((round) => round.latenciesMs);
	return {
		requests,
		requestsPerSecond: requests / durationSeconds,
		durationSeconds,
		...percentilesOf(latenciesMs),
		latenciesMs,
		errors: sum((round) => round.errors)
	};
}

/** p50 and p99 (nearest rank) of the latencies; 0 for none. */
export function percentilesOf(latenciesMs: number[]): { p50: number; p99: number } {
	const sorted = Float64Array.from(latenciesMs).sort();
	const at = (q: number) =>
		sorted.length === 0
			? 0
			: sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
	return { p50: at(0.5), p99: at(0.99) };
}

/** For JSON.stringify: results.json keeps the figures, not every request's latency. */
export function withoutLatencies(key: string, value: unknown): unknown {
	return key === 'latenciesMs' ? undefined : value;
}
