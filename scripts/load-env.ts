// Imported first by every CLI: reads .env like `npm run dev` does (variables already set win).
import { existsSync } from 'node:fs';

if (existsSync('.env')) process.loadEnvFile('.env');
