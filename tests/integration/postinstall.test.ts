// scripts/postinstall.js, run by npm install: applies patches/ with patch-package, stops the
// install when a patch no longer applies or was made for another version, and does nothing in an
// install without dev dependencies. Tried on a throw-away project with one small package.
import { spawnSync } from 'node:child_process';
import {
	copyFileSync,
	mkdirSync,
	mkdtempSync,
	readFileSync,
	renameSync,
	rmSync,
	symlinkSync,
	writeFileSync
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const PATCH = `diff --git a/node_modules/left-pad/index.js b/node_modules/left-pad/index.js
index 1111111..2222222 100644
--- a/node_modules/left-pad/index.js
+++ b/node_modules/left-pad/index.js
@@ -1 +1 @@
-module.exports = 1;
+module.exports = 2;
`;

describe('npm install: scripts/postinstall.js', () => {
	let project: string;
	const path = (...parts: string[]) => join(project, ...parts);
	const run = () =>
		spawnSync(process.execPath, ['scripts/postinstall.js'], { cwd: project, encoding: 'utf8' });
	const installed = () => readFileSync(path('node_modules/left-pad/index.js'), 'utf8');

	beforeEach(() => {
		project = mkdtempSync(join(tmpdir(), 'postinstall-'));
		for (const dir of ['scripts', 'patches', 'node_modules/left-pad']) {
			mkdirSync(path(dir), { recursive: true });
		}
		copyFileSync(resolve('scripts/postinstall.js'), path('scripts/postinstall.js'));
		writeFileSync(path('package.json'), '{ "name": "app", "version": "1.0.0", "type": "module" }');
		writeFileSync(
			path('node_modules/left-pad/package.json'),
			'{ "name": "left-pad", "version": "1.0.0" }'
		);
		writeFileSync(path('node_modules/left-pad/index.js'), 'module.exports = 1;\n');
		writeFileSync(path('patches/left-pad+1.0.0.patch'), PATCH);
		symlinkSync(resolve('node_modules/patch-package'), path('node_modules/patch-package'), 'dir');
	});
	afterEach(() => rmSync(project, { recursive: true, force: true }));

	it('applies a patch made for the installed version', () => {
		const result = run();
		expect(result.status, result.stdout + result.stderr).toBe(0);
		expect(installed()).toBe('module.exports = 2;\n');
	});

	it('fails the install when the patch was made for another version [even if it applies]', () => {
		renameSync(path('patches/left-pad+1.0.0.patch'), path('patches/left-pad+0.9.0.patch'));
		expect(run().status).not.toBe(0);
	});

	it('fails the install when the patch no longer applies, and leaves the file as it was', () => {
		writeFileSync(path('node_modules/left-pad/index.js'), 'module.exports = 3;\n');
		expect(run().status).not.toBe(0);
		expect(installed()).toBe('module.exports = 3;\n');
	});

	it('does nothing without dev dependencies (no patch-package installed)', () => {
		rmSync(path('node_modules/patch-package'));
		const result = run();
		expect(result.status).toBe(0);
		expect(result.stdout).toContain('no dev dependencies');
		expect(installed()).toBe('module.exports = 1;\n');
	});
});
