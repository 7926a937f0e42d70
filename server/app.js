// The app one server process runs (server/index.js starts it, in each worker when there are
// several): adapter-node's own server from build/index.js (environment, listening, graceful
// shutdown on SIGTERM/SIGINT), with the security headers on every answer. adapter-node serves
// static files (/_app/immutable/*, /favicon.svg, /_app/version.json) before the app's hooks run,
// so without this they would carry none. The app sets the same headers again on its own answers,
// later on the same response, so its values win (a page's own Content-Security-Policy). To change
// one for a route, set it there; deleting it would bring this default back.
import { server } from '../build/index.js';
import { SECURITY_HEADERS, STRICT_TRANSPORT_SECURITY } from './security-headers.js';

const isHttps = httpsTestFor(process.env);

// The first listener, so the defaults are in place before polka, sirv or SvelteKit write.
server.server.prependListener('request', (req, res) => {
	for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
	if (isHttps(req)) res.setHeader('strict-transport-security', STRICT_TRANSPORT_SECURITY);
});

/**
 * Whether a request is https in adapter-node's eyes, and so in the app's: ORIGIN's scheme when
 * it is set, else the value of the header PROTOCOL_HEADER names, else https (its default).
 * @param {NodeJS.ProcessEnv} env
 * @returns {(req: import('node:http').IncomingMessage) => boolean}
 */
function httpsTestFor(env) {
	if (env.ORIGIN) {
		const https = new URL(env.ORIGIN.trim()).protocol === 'https:';
		return () => https;
	}
	const header = (env.PROTOCOL_HEADER ?? '').toLowerCase();
	return (req) => String((header && req.headers[header]) || 'https').toLowerCase() === 'https';
}
