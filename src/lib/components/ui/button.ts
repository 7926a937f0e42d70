import { tv, type VariantProps } from 'tailwind-variants';

export const buttonVariants = tv({
	// The shared part is app.css's `.btn`: written once there, not into every button's HTML.
	base: 'btn',
	variants: {
		variant: {
			default: 'bg-primary text-primary-foreground hover:bg-primary/90',
			destructive: 'bg-destructive text-destructive-foreground hover:bg-destructive/90',
			outline: 'border border-input bg-card hover:bg-muted',
			secondary: 'bg-secondary text-foreground hover:bg-secondary/80',
			ghost: 'hover:bg-muted',
			link: 'text-primary underline-offset-4 hover:underline'
		},
		size: {
			default: 'h-9 px-4 py-2',
			sm: 'h-8 px-3 text-xs',
			lg: 'h-10 px-6',
			icon: 'size-9'
		}
	},
	defaultVariants: { variant: 'default', size: 'default' }
});

export type ButtonVariant = VariantProps<typeof buttonVariants>['variant'];
export type ButtonSize = VariantProps<typeof buttonVariants>['size'];
