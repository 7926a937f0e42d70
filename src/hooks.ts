// Universal hooks: what crosses from the server to the browser beyond devalue's own types.
import type { Transport } from '@sveltejs/kit';
import { ServerRendered } from '$lib/server-rendered';

export const transport: Transport = {
	// Only an array is written for a value rendered on the server and not sent (an encoding must
	// be truthy); the browser gets the value itself when it asked for the page's data.
	ServerRendered: {
		encode: (value) =>
			value instanceof ServerRendered && (value.sent ? [value.value] : ([] as unknown[])),
		decode: ([value]: unknown[]) => new ServerRendered(value, true)
	}
};
