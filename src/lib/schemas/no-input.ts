// The input of procedures that take none. Without it tRPC would hand any value through unchecked
// (and the procedure would run anyway); this way a stray body is a 400, like any other bad input.
import { z } from 'zod';

/** Nothing, `null` or `{}`; anything else is a client bug. */
export const noInputSchema = z.strictObject({}).nullish();
