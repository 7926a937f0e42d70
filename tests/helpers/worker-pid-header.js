// Loaded with `node --import` into the servers of the worker tests only (the cluster primary
// passes its Node flags on to its workers): every answer names the process that made it, so a
// test can tell which worker answered. The product sends no such header.
import { subscribe } from 'node:diagnostics_channel';

subscribe('http.server.request.start', (message) => {
	/** @type {{ response: import('node:http').ServerResponse }} */ (message).response.setHeader(
		'x-test-worker-pid', // worker-client.ts reads it
		String(process.pid)
	);
});
