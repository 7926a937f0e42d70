// autocannon ships no types; this covers the part of its API the load run and the benchmark use.
declare module 'autocannon' {
	interface Request {
		method?: 'GET' | 'POST';
		path?: string;
		headers?: Record<string, string>;
		body?: string;
		/** Called before each send; returns the request to send. */
		setupRequest?: (request: Request, context: Record<string, unknown>) => Request;
		/** Called with each response; the body is read only when this is set. */
		onResponse?: (status: number, body: string, context: Record<string, unknown>) => void;
	}
	/** One step of a request sequence (the same fields as a request). */
	type RequestStep = Request;
	interface Options {
		url: string;
		connections?: number;
		/** Seconds. */
		duration?: number;
		method?: 'GET' | 'POST';
		headers?: Record<string, string>;
		body?: string;
		/** Requests per second over all connections (latencies are corrected for it). */
		overallRate?: number;
		/** Seconds before a request counts as timed out. */
		timeout?: number;
		requests?: RequestStep[];
	}
	interface Histogram {
		average: number;
		p50: number;
		p99: number;
		max: number;
	}
	interface Result {
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
		'5xx': number;
		statusCodeStats: Record<string, { count: number }>;
	}
	interface Instance {
		stop(): void;
		/** Each answer: its status and its latency in milliseconds. */
		on(
			event: 'response',
			listener: (client: unknown, status: number, bytes: number, responseTimeMs: number) => void
		): Instance;
	}
	function autocannon(
		options: Options,
		done: (error: Error | null, result: Result) => void
	): Instance;
	export default autocannon;
	export type { Instance, Options, Result, Request, RequestStep };
}
