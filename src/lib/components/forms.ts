// Form enhancement shared by every page: run the action, show the outcome as a toast, and let
// SvelteKit update the page (a redirect is followed, a failure's data lands in `form`).
import type { SubmitFunction } from '@sveltejs/kit';
import { toast } from 'svelte-sonner';

export function withToast(success: string | null, onDone?: () => void): SubmitFunction {
	return () =>
		async ({ result, update }) => {
			if (result.type === 'success' && success) toast.success(success);
			if (result.type === 'failure') {
				const message = (result.data as { message?: string } | undefined)?.message;
				toast.error(message ?? 'That did not work');
			}
			if (result.type === 'error') toast.error('Something went wrong. Try again.');
			await update({ reset: result.type === 'success' });
			onDone?.();
		};
}

/**
 * For a form whose button says it is waiting ("Signing in…"): `onChange(true)` when the action
 * starts, `onChange(false)` once SvelteKit has applied its answer. Without JavaScript the form
 * posts as usual and the button never changes.
 */
export function whileSubmitting(onChange: (submitting: boolean) => void): SubmitFunction {
	return () => {
		onChange(true);
		return async ({ update }) => {
			try {
				await update();
			} finally {
				onChange(false);
			}
		};
	};
}
