// The production server (`npm start`): WEB_CONCURRENCY worker processes on one port, each running
// the app (server/app.js), or the app in this process with WEB_CONCURRENCY=1; every process with
// the Node settings of server/node-settings.js (server/start.js says how).
import { runServer } from './start.js';

await runServer(() => import('./app.js'));
