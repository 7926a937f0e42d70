// npm run api:docs: writes docs/API.md from the router (see scripts/api-reference.ts).
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { appRouter } from '../src/lib/server/trpc/router';
import { API_DOC_PATH, renderApiDocs } from './api-reference';

await mkdir(dirname(API_DOC_PATH), { recursive: true });
await writeFile(API_DOC_PATH, await renderApiDocs(appRouter));
console.log(`wrote ${API_DOC_PATH}`);
