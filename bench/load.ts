// Load from this process with autocannon, and the figures the benchmark keeps from it.
import autocannon, { type Instance, type Options, type Result } from 'autocannon';

export interface LoadFigures {
	requests: number;
	requestsPerSecond: number;
	durationSeconds: number;
	/** Milliseconds. */
	p50: number;
	p99: number;
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
	const done = new Promise<LoadFigures>((resolve, reject) => {
		instance = autocannon(options, (error, result) =>
			error ? reject(error) : resolve(figuresOf(result))
		);
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

function figuresOf(result: Result): LoadFigures {
	return {
		requests: result.requests.total,
		requestsPerSecond: result.requests.total / result.duration,
		durationSeconds: result.duration,
		p50: result.latency.p50,
		p99: result.latency.p99,
		errors: result.errors + result.non2xx
	};
}
