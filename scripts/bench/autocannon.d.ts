// The part of autocannon's API the benchmark uses (the package ships no types).
declare module 'autocannon' {
	interface Histogram {
		average: number;
		p50: number;
		p99: number;
		max: number;
	}

	export interface Result {
		/** Completed requests per second, sampled each second; `total` is the count. */
		requests: Histogram & { total: number; sent: number };
		/** Milliseconds. */
		latency: Histogram;
		/** Seconds. */
		duration: number;
		/** Connection errors, timeouts included. */
		errors: number;
		timeouts: number;
		non2xx: number;
	}

	export interface Request {
		method?: 'GET' | 'POST';
		path?: string;
		headers?: Record<string, string>;
		body?: string;
		setupRequest?: (request: Request, context: object) => Request;
	}

	export interface Options {
		url: string;
		connections?: number;
		/** Seconds. */
		duration?: number;
		method?: 'GET' | 'POST';
		headers?: Record<string, string>;
		body?: string;
		/** Requests per second over all connections (latencies are corrected for it). */
		overallRate?: number;
		requests?: Request[];
	}

	export interface Instance {
		stop(): void;
	}

	function autocannon(
		options: Options,
		callback: (error: Error | null, result: Result) => void
	): Instance;

	export default autocannon;
}
