// What the pages (and generic API clients) need to draw a resource without its code: labels,
// field kinds and limits, list settings, actions, which operations need a fresh code, and what
// the asker may do (their role's grants; with an API token, within its scopes too). Plain data: it
// goes to the browser as page data.
import { roleCan } from '../../permissions';
import { fieldLabel } from './define';
import { OPERATIONS, type AnyResource, type Operation } from './types';
import type { FieldKind } from './fields';

export interface FieldDescription {
	name: string;
	kind: FieldKind;
	label: string;
	hint: string | null;
	optional: boolean;
	readOnly: boolean;
	secret: boolean;
	unique: boolean;
	choices: string[] | null;
	/** `reference`: `users` or a resource's name. */
	target: string | null;
	min: number | null;
	max: number | null;
	scale: number | null;
	/** The value a create form starts with. */
	default: string | number | boolean | null;
}

export interface ActionDescription {
	name: string;
	label: string;
	bulk: boolean;
	confirm: string | null;
	stepUp: boolean;
	allowed: boolean;
}

export interface ResourceDescription {
	name: string;
	label: string;
	labelOne: string;
	path: string;
	title: string;
	description: string | null;
	fields: FieldDescription[];
	list: AnyResource['list'];
	actions: ActionDescription[];
	/** Operations that need a fresh code. */
	stepUp: Array<Exclude<Operation, 'read'>>;
	/** What the asker may do. */
	can: Record<Operation, boolean>;
}

/** `can`: a role's name, or a test of what the asker may do (a token's scopes within the role). */
export function describeResource(
	resource: AnyResource,
	can: string | ((permission: string) => boolean)
): ResourceDescription {
	const may = typeof can === 'string' ? (permission: string) => roleCan(can, permission) : can;
	return {
		name: resource.name,
		label: resource.label,
		labelOne: resource.labelOne,
		path: resource.path,
		title: resource.title,
		description: resource.description ?? null,
		fields: Object.entries(resource.fields).map(([name, field]) => ({
			name,
			kind: field.kind,
			label: fieldLabel(name, field),
			hint: field.hint ?? null,
			optional: field.optional,
			readOnly: field.readOnly,
			secret: field.secret,
			unique: field.unique,
			choices: field.choices ? [...field.choices] : null,
			target: field.target ?? null,
			min: field.min ?? null,
			max: field.max ?? null,
			scale: field.scale ?? null,
			default: (field.default ?? null) as FieldDescription['default']
		})),
		list: resource.list,
		actions: Object.entries(resource.actions).map(([name, action]) => ({
			name,
			label: action.label,
			bulk: action.bulk ?? false,
			confirm: action.confirm ?? null,
			stepUp: resource.stepUp.has(name),
			allowed: may(resource.permission(`action.${name}`))
		})),
		stepUp: (['create', 'update', 'delete'] as const).filter((operation) =>
			resource.stepUp.has(operation)
		),
		can: Object.fromEntries(
			OPERATIONS.map((operation) => [operation, may(resource.permission(operation))])
		) as Record<Operation, boolean>
	};
}
