// autocannon ships no types; this covers the part of its API scripts/load.ts uses.
declare module 'autocannon' {
	interface Request {
		method?: string;
		path?: string;
		headers?: Record<string, string>;
		body?: string;
	}
	interface RequestStep extends Request {
		/** Called before each send; returns the request to send. */
		setupRequest?: (request: Request, context: Record<string, unknown>) => Request;
		/** Called with each response; the body is read only when this is set. */
		onResponse?: (status: number, body: string, context: Record<string, unknown>) => void;
	}
	interface Options {
		url: string;
		connections?: number;
		/** Seconds. */
		duration?: number;
		overallRate?: number;
		/** Seconds before a request counts as timed out. */
		timeout?: number;
		headers?: Record<string, string>;
		requests?: RequestStep[];
	}
	interface Histogram {
		average: number;
		p50: number;
		p99: number;
		max: number;
	}
	interface Result {
		requests: Histogram & { total: number; sent: number };
		latency: Histogram;
		errors: number;
		timeouts: number;
		'5xx': number;
		statusCodeStats: Record<string, { count: number }>;
	}
	function autocannon(
		options: Options,
		done: (error: Error | null, result: Result) => void
	): unknown;
	export default autocannon;
	export type { Options, Result, Request, RequestStep };
}
