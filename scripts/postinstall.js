// npm install's last step: the fixes in patches/ to SvelteKit and Svelte, applied by
// patch-package (README "Using this template", "Upgrading SvelteKit or Svelte"). It fails the
// install when a patch no longer applies, or was made for another version of its package. An
// install without dev dependencies (`npm ci --omit=dev` for a server that runs a build made
// elsewhere) has neither patch-package nor the two packages, which the build bundles: nothing to do.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

let patchPackage;
try {
	patchPackage = require.resolve('patch-package/index.js');
} catch {
	console.log('postinstall: no dev dependencies, so no patches to apply');
	process.exit(0);
}

const { status } = spawnSync(
	process.execPath,
	[patchPackage, '--error-on-fail', '--error-on-warn'],
	{ stdio: 'inherit' }
);
process.exit(status ?? 1);
