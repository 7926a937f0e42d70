// Bench mode only (404 otherwise): database round trips, CPU time, memory and event-loop delay,
// read by `npm run bench` before and after each scenario. CPU time per request holds on a busy
// machine, where requests per second move with whatever else runs there.
import { error, json } from '@sveltejs/kit';
import { readBenchStats } from '$lib/server/bench/stats';
import { getConfig } from '$lib/server/config';
import type { RequestHandler } from './$types';

export const GET: RequestHandler = () => {
	if (!getConfig().benchMode) error(404, 'Not Found');
	return json(readBenchStats());
};
