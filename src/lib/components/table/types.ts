// The shapes DataTable and FilterBar take, for the pages that build them.

export interface Column {
	key: string;
	label: string;
	sortable?: boolean;
	/** Classes of the header cell (e.g. `hidden sm:table-cell`, matching the row's cells). */
	class?: string;
	/** Read by screen readers only (an actions column). */
	srOnly?: boolean;
}

export interface Filter {
	label: string;
	name: string;
	value: string | undefined;
	/** `[value, label]` pairs after "Any". */
	options: ReadonlyArray<readonly [string, string]>;
}
