import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import prettier from 'eslint-config-prettier';
import svelte from 'eslint-plugin-svelte';
import globals from 'globals';
import ts from 'typescript-eslint';
import svelteConfig from './svelte.config.js';

export default defineConfig(
	{ ignores: ['build/', '.svelte-kit/', 'data/', 'node_modules/', 'bench/.build/'] },
	js.configs.recommended,
	ts.configs.recommended,
	svelte.configs.recommended,
	prettier,
	svelte.configs.prettier,
	{
		languageOptions: { globals: { ...globals.browser, ...globals.node } },
		rules: {
			// typescript-eslint's own guidance: the compiler already catches undefined names.
			'no-undef': 'off',
			// The app is served at the root (no `paths.base`), so plain hrefs are right; wrapping
			// every link in resolve() would only add noise to a template people copy.
			'svelte/no-navigation-without-resolve': 'off',
			'@typescript-eslint/no-unused-vars': [
				'error',
				{ argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true }
			]
		}
	},
	{
		// Migrations are frozen: they must not depend on today's table types (Kysely's advice).
		files: ['migrations/**/*.ts', 'scripts/new-migration.ts'],
		rules: { '@typescript-eslint/no-explicit-any': 'off' }
	},
	// Who may import whom outside the app's own layers: the product (src/) ships alone, so it
	// imports none of the folders around it; tools/ (servers, databases and sign-ins for tests,
	// the bench and the load run) is neutral ground that tests/, bench/ and scripts/ share.
	{
		files: ['src/**'],
		rules: {
			'no-restricted-imports': [
				'error',
				{
					patterns: [
						{
							regex: '(^|/)(tests|scripts|bench|tools)/',
							message:
								'src/ is the product: it imports nothing from tests/, scripts/, bench/ or tools/.'
						}
					]
				}
			]
		}
	},
	{
		files: ['scripts/**', 'tools/**'],
		rules: {
			'no-restricted-imports': [
				'error',
				{
					patterns: [
						{
							regex: '(^|/)(tests|bench)/',
							message: 'Move what tests/ or bench/ and this file share to tools/.'
						}
					]
				}
			]
		}
	},
	{
		files: ['**/*.svelte', '**/*.svelte.ts'],
		languageOptions: {
			parserOptions: {
				projectService: true,
				extraFileExtensions: ['.svelte'],
				parser: ts.parser,
				svelteConfig
			}
		}
	}
);
