// A phishing relay on loopback ("adversary in the middle"): an HTTP server at its own origin that
// passes every request on to the app and every answer back, rewriting what would give it away to
// the app (Host, Origin, Referer) and to the browser (absolute redirects). The CSRF checks cannot
// tell its requests from the app's own pages, so the page, the password and the cookies all work
// through it; what it cannot rewrite is what a security key signs: the origin the browser saw.
import { createServer, request as forward, type IncomingHttpHeaders } from 'node:http';

export interface RelayProxy {
	/** Where the browser reaches the relay, e.g. `http://localhost:41234`. */
	origin: string;
	close(): Promise<void>;
}

/**
 * Relays to `target` (the app's ORIGIN, whose port it connects to on 127.0.0.1), answering at
 * `http://<host>:<its own port>`.
 */
export async function startRelayProxy(target: string, host = 'localhost'): Promise<RelayProxy> {
	const app = new URL(target);
	let origin = '';
	const server = createServer((incoming, outgoing) => {
		const headers: IncomingHttpHeaders = { ...incoming.headers, host: app.host };
		// Hop-by-hop: one connection to the app per request, closed with its answer, so that
		// nothing of the relay keeps the app's server from stopping.
		delete headers.connection;
		delete headers['keep-alive'];
		if (headers.origin === origin) headers.origin = app.origin;
		if (headers.referer?.startsWith(origin + '/')) {
			headers.referer = app.origin + headers.referer.slice(origin.length);
		}
		const relayed = forward(
			{
				host: '127.0.0.1',
				port: app.port,
				method: incoming.method,
				path: incoming.url,
				headers,
				agent: false
			},
			(answer) => {
				const location = answer.headers.location;
				if (location?.startsWith(app.origin + '/')) {
					answer.headers.location = origin + location.slice(app.origin.length);
				}
				outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
				answer.pipe(outgoing);
			}
		);
		relayed.on('error', () => outgoing.destroy());
		incoming.pipe(relayed);
	});
	await new Promise<void>((resolve, reject) => {
		server.once('error', reject);
		server.listen(0, '127.0.0.1', () => resolve());
	});
	origin = `http://${host}:${(server.address() as { port: number }).port}`;
	return {
		origin,
		close: () =>
			new Promise((resolve) => {
				server.closeAllConnections();
				server.close(() => resolve());
			})
	};
}
