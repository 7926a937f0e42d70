// A feature flag (the example resource) made as a person would make it, through the resource's own
// service: for tests that need a row to exist before the page or request they exercise.
import type { Kysely } from 'kysely';
import type { Database } from '$lib/server/db/schema';
import featureFlags from '$lib/server/resources/feature-flags';
import { resources } from '$lib/server/resources/registry';
import { createRow } from '$lib/server/resources/write';
import type { Actor } from '$lib/server/services/actor';
import { testDeps } from '../../tools/service-deps';

/** A flag with `key` and every other field at its default, made by `actor`. */
export function createFlag(db: Kysely<Database>, actor: Actor, key: string) {
	return createRow(
		testDeps(db),
		featureFlags,
		resources,
		actor,
		featureFlags.schemas.create.parse({ key })
	);
}
