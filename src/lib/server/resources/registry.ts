// Every resource the admin manages: one line each. The API (`resources.<name>.*`), the pages under
// /resources/<path>, the nav, the API reference and the security suite all read this object, so a
// new table is its definition, its migration and its line here (`npm run new:resource` adds it).
import featureFlags from './feature-flags';
import { checkRegistry } from './checks';

export const resources = checkRegistry({
	featureFlags
});

export type Resources = typeof resources;
export type ResourceName = keyof Resources;
