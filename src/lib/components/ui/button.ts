// A button's look as class names: app.css's `.btn` and one class for the variant and the size.
// They live in the components layer, so a utility given to a button (`class="w-full"`) wins over
// them without a class-merging library in every page's JavaScript.
const VARIANTS = {
	default: 'btn-primary',
	destructive: 'btn-destructive',
	outline: 'btn-outline',
	secondary: 'btn-secondary',
	ghost: 'btn-ghost',
	link: 'btn-link'
} as const;

const SIZES = { default: 'btn-md', sm: 'btn-sm', lg: 'btn-lg', icon: 'btn-icon' } as const;

export type ButtonVariant = keyof typeof VARIANTS;
export type ButtonSize = keyof typeof SIZES;

export function buttonVariants({
	variant = 'default',
	size = 'default'
}: { variant?: ButtonVariant; size?: ButtonSize } = {}): string {
	return `btn ${VARIANTS[variant]} ${SIZES[size]}`;
}
