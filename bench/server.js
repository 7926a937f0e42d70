// The server `npm run bench` measures: the production server exactly as `npm start` runs it
// (server/start.js: the same workers, or one process, with the same Node settings, then
// server/app.js over build/), with the bench's endpoints (endpoints.ts, bundled by bench.ts into
// .build/endpoints.js) answering /bench/* in front of it. The product knows nothing of them: the
// build holds no bench route and no bench switch, so no deployment can turn one on. With several
// workers each has its own endpoints and counters: /bench/stats then speaks for the worker that
// answered it.
import { runServer } from '../server/start.js';

await runServer(async () => {
	const { createBenchEndpoints } = await import('./.build/endpoints.js');
	// First, so the app's queries are counted from its first one (the migrations at start).
	const bench = createBenchEndpoints(process.env.DATABASE_URL ?? '');

	// Loading the app starts it.
	await import('../server/app.js');
	// The same module instance server/app.js started: adapter-node's polka and its http.Server.
	const { server } = await import('../build/index.js');

	// The app's own listeners (adapter-node's, server/app.js's headers) stay as they are and in
	// their order; the bench's requests go to the bench alone. The bench sends its first request
	// once the server has printed "Listening on", which comes after this has run.
	const http = server.server;
	const appListeners = http.listeners('request');
	http.removeAllListeners('request');
	http.on('request', (req, res) => {
		if (bench.handle(req, res)) return;
		for (const listener of appListeners) listener.call(http, req, res);
	});
	process.once('sveltekit:shutdown', () => void bench.close());
});
