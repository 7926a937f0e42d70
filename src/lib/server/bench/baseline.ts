// The benchmark's baseline: the users page's own query (a page of 50 and the total, through the
// same service and the same input schema), minus everything in between: no session, no tRPC, no
// page rendering. `npm run bench` compares the real routes with it.
import { userListSchema } from '../../schemas/users';
import { getDatabase } from '../db';
import { listUsers, type UserSummary } from '../services/user-directory';

export const BASELINE_QUERY = userListSchema.parse({ pageSize: 50 });

export function listBaselineUsers(): Promise<{ users: UserSummary[]; total: number }> {
	return listUsers(getDatabase().db, BASELINE_QUERY);
}
