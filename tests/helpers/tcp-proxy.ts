// A TCP proxy on loopback that tests can break: put it between the app and its database, then
// cut the line (connections reset), hang it (connections accepted, nothing forwarded) or
// restore it, without touching the database server itself.
import { connect, createServer, type Socket } from 'node:net';

export interface TcpProxy {
	port: number;
	/** Destroys every connection and resets new ones, as a stopped server or a cut cable would. */
	cut(): void;
	/** Stops forwarding in both directions; new connections are accepted and left waiting. */
	hang(): void;
	/** Forwards again: hung connections carry on, and new ones go through. */
	restore(): void;
	close(): Promise<void>;
}

interface Link {
	client: Socket;
	upstream: Socket | null;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
	let mode: 'open' | 'cut' | 'hung' = 'open';
	const links = new Set<Link>();

	function forward(link: Link): void {
		const upstream = connect(target.port, target.host);
		link.upstream = upstream;
		upstream.on('error', () => link.client.destroy());
		upstream.on('close', () => link.client.destroy());
		link.client.pipe(upstream);
		upstream.pipe(link.client);
	}

	function pause(link: Link): void {
		link.client.unpipe();
		link.upstream?.unpipe();
		link.client.pause();
		link.upstream?.pause();
	}

	function resume(link: Link): void {
		if (!link.upstream) return forward(link);
		link.client.pipe(link.upstream);
		link.upstream.pipe(link.client);
	}

	const server = createServer((client) => {
		if (mode === 'cut') return void client.resetAndDestroy();
		const link: Link = { client, upstream: null };
		links.add(link);
		client.on('error', () => link.upstream?.destroy());
		client.on('close', () => {
			link.upstream?.destroy();
			links.delete(link);
		});
		if (mode === 'open') forward(link);
		else client.pause();
	});
	await new Promise<void>((resolve, reject) => {
		server.once('error', reject);
		server.listen(0, '127.0.0.1', () => resolve());
	});

	return {
		port: (server.address() as { port: number }).port,
		cut() {
			mode = 'cut';
			for (const link of links) {
				link.client.resetAndDestroy();
				link.upstream?.destroy();
			}
			links.clear();
		},
		hang() {
			mode = 'hung';
			for (const link of links) pause(link);
		},
		restore() {
			const wasHung = mode === 'hung';
			mode = 'open';
			if (wasHung) for (const link of links) resume(link);
		},
		close() {
			for (const link of links) {
				link.client.destroy();
				link.upstream?.destroy();
			}
			return new Promise((resolve) => server.close(() => resolve()));
		}
	};
}
