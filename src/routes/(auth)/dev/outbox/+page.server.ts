import { error } from '@sveltejs/kit';
import { TRPCError } from '@trpc/server';
import { createServerCaller } from '$lib/server/trpc/caller';
import type { PageServerLoad } from './$types';

export const load: PageServerLoad = async (event) => {
	const api = await createServerCaller(event);
	try {
		const messages = await api.dev.outbox();
		// The page shows the plain-text body; the HTML copy stays on the server.
		return { messages: messages.map(({ html: _html, ...message }) => message) };
	} catch (cause) {
		if (cause instanceof TRPCError && cause.code === 'NOT_FOUND') error(404, 'Not found');
		throw cause;
	}
};
