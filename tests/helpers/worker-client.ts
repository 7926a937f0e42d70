// HTTP clients pinned to one worker of a `WEB_CONCURRENCY` > 1 server: node:cluster hands each
// new connection to a worker, so a client that keeps one connection open talks to one worker.
// The server must run with worker-pid-header.js loaded (`nodeArgs: ['--import',
// WORKER_PID_HEADER_MODULE]`), which names the answering process in every response; each call
// checks it.
import { Agent, request } from 'node:http';
import { resolve } from 'node:path';
import superjson from 'superjson';
import type { AppServer } from '../../tools/app-server';

/** Loaded into the server with `--import`: it sets WORKER_PID_HEADER on every answer. */
export const WORKER_PID_HEADER_MODULE = resolve('tests/helpers/worker-pid-header.js');
const WORKER_PID_HEADER = 'x-test-worker-pid';

export interface WorkerReply {
	status: number;
	/** The process that answered. */
	pid: number;
	body: string;
	/** tRPC: the result's data, or the error's code (`UNAUTHORIZED`, `TOO_MANY_REQUESTS`). */
	data?: unknown;
	errorCode?: string;
}

/** Live workers' pids, from the primary's log (server/primary.js). */
export function workerPids(server: AppServer): number[] {
	const output = server.output();
	const pidsOf = (pattern: RegExp) =>
		new Set([...output.matchAll(pattern)].map((match) => Number(match[1])));
	const exited = pidsOf(/\[server\] worker \d+ \(pid (\d+)\) exited/g);
	return [...pidsOf(/\[server\] worker \d+ \(pid (\d+)\) listening/g)].filter(
		(pid) => !exited.has(pid)
	);
}

/** One request on a connection of its own: whichever worker the primary hands it to. */
export function sendOnNewConnection(origin: string, path: string): Promise<WorkerReply> {
	return send(origin, { agent: false, method: 'GET', path, headers: {} });
}

export class WorkerClient {
	private constructor(
		private readonly origin: string,
		private readonly agent: Agent,
		readonly pid: number
	) {}

	/**
	 * A client whose one kept-alive connection landed on worker `pid`: connections are opened
	 * until the primary hands one to it (it hands them out in turn, so this takes a few).
	 */
	static async on(origin: string, pid: number): Promise<WorkerClient> {
		for (let tries = 0; tries < 50; tries++) {
			const agent = new Agent({ keepAlive: true, maxSockets: 1 });
			const probe = await send(origin, { agent, method: 'GET', path: '/favicon.svg', headers: {} });
			if (probe.pid === pid) return new WorkerClient(origin, agent, pid);
			agent.destroy();
		}
		throw new Error(`no connection reached worker ${pid} in 50 tries`);
	}

	async get(path: string, headers: Record<string, string> = {}): Promise<WorkerReply> {
		return this.checked(
			await send(this.origin, { agent: this.agent, method: 'GET', path, headers })
		);
	}

	/** A tRPC mutation, sent as @trpc/client sends it unbatched. */
	async mutation(path: string, input: unknown, headers: Record<string, string> = {}) {
		const body = JSON.stringify(superjson.serialize(input));
		const reply = await send(this.origin, {
			agent: this.agent,
			method: 'POST',
			path: `/trpc/${path}`,
			headers: { 'content-type': 'application/json', ...headers },
			body
		});
		return this.checked(withTrpc(reply));
	}

	async query(path: string, input: unknown, headers: Record<string, string> = {}) {
		const query = encodeURIComponent(JSON.stringify(superjson.serialize(input)));
		return withTrpc(await this.get(`/trpc/${path}?input=${query}`, headers));
	}

	close(): void {
		this.agent.destroy();
	}

	/** A closed connection would be replaced by one to any worker: the pid must not change. */
	private checked(reply: WorkerReply): WorkerReply {
		if (reply.pid !== this.pid) {
			throw new Error(`pinned to worker ${this.pid}, answered by ${reply.pid}`);
		}
		return reply;
	}
}

function withTrpc(reply: WorkerReply): WorkerReply {
	const parsed = JSON.parse(reply.body) as {
		result?: { data: Parameters<typeof superjson.deserialize>[0] };
		error?: { json: { data: { code: string } } };
	};
	if (parsed.result) reply.data = superjson.deserialize(parsed.result.data);
	if (parsed.error) reply.errorCode = parsed.error.json.data.code;
	return reply;
}

function send(
	origin: string,
	options: {
		agent: Agent | false;
		method: string;
		path: string;
		headers: Record<string, string>;
		body?: string;
	}
): Promise<WorkerReply> {
	return new Promise((resolvePromise, reject) => {
		const req = request(
			new URL(options.path, origin),
			{ method: options.method, headers: options.headers, agent: options.agent },
			(res) => {
				let body = '';
				res.setEncoding('utf8');
				res.on('data', (chunk: string) => (body += chunk));
				res.on('end', () =>
					resolvePromise({
						status: res.statusCode ?? 0,
						pid: Number(res.headers[WORKER_PID_HEADER]),
						body
					})
				);
			}
		);
		req.on('error', reject);
		req.end(options.body);
	});
}
