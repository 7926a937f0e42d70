// Page data that only the server's render reads. SvelteKit 2 serializes every server load's data
// (devalue) while it renders a page, even with `csr = false`, where the result is never sent: for
// a list page of 100 rows that was a tenth of the request's CPU and much of its garbage. Wrapped
// in `ServerRendered`, the serializer stops at the wrapper (`transport` in src/hooks.ts) and the
// page carries nothing of it; a client-side navigation into the page (a hydrated page's link
// fetches `__data.json`) still gets the value itself. Use it only on pages with `csr = false`
// (tests/unit/server-rendered.test.ts checks the routes that do).

export class ServerRendered<T> {
	constructor(
		readonly value: T,
		/** True when the value goes to the browser: a data request (client-side navigation). */
		readonly sent: boolean
	) {}
}

/** `value` for the server's render; sent as it is only when the request asks for data. */
export function serverRendered<T>(event: { isDataRequest: boolean }, value: T): ServerRendered<T> {
	return new ServerRendered(value, event.isDataRequest);
}
