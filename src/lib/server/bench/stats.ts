// Bench mode only (BENCH_MODE, see config.ts): what `npm run bench` reads from the server between
// scenarios. Database round trips are counted through Kysely's query log; outside bench mode no
// log is installed and nothing here is measured or served.
import type { LogEvent } from 'kysely';
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { getConfig } from '../config';

const WRITE_STATEMENT = /^\s*(insert|update|delete|replace)\b/i;
const counts = { queries: 0, writes: 0 };

/** Kysely's `log` option for the process's database: a counter in bench mode, else nothing. */
export function benchQueryLog(): ((event: LogEvent) => void) | undefined {
	if (!getConfig().benchMode) return undefined;
	// Failed statements count too: they cost a round trip all the same.
	return (event) => {
		counts.queries++;
		if (WRITE_STATEMENT.test(event.query.sql)) counts.writes++;
	};
}

export interface BenchStats {
	/** Statements sent to the database since the server started, and how many of them wrote. */
	queries: number;
	writes: number;
	/** The process's CPU time so far (user + system, every thread), in microseconds. */
	cpuMicros: number;
	rssBytes: number;
	heapUsedBytes: number;
	heapTotalBytes: number;
	externalBytes: number;
	/** How late the event loop ran timers since the previous reading: work that blocked it. */
	eventLoopDelay: { p99Ms: number; maxMs: number };
}

let loopDelay: IntervalHistogram | undefined;

export function readBenchStats(): BenchStats {
	const cpu = process.cpuUsage();
	const memory = process.memoryUsage();
	const delay = loopDelay ?? monitorEventLoopDelay({ resolution: 10 });
	const stats: BenchStats = {
		...counts,
		cpuMicros: cpu.user + cpu.system,
		rssBytes: memory.rss,
		heapUsedBytes: memory.heapUsed,
		heapTotalBytes: memory.heapTotal,
		externalBytes: memory.external,
		eventLoopDelay: {
			p99Ms: loopDelay ? delay.percentile(99) / 1e6 : 0,
			maxMs: loopDelay ? delay.max / 1e6 : 0
		}
	};
	if (!loopDelay) {
		loopDelay = delay;
		loopDelay.enable();
	}
	loopDelay.reset();
	return stats;
}
