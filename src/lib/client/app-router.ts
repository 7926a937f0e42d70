// The router's type as the client module sees it. Here it comes from the server's source; in the
// package that `npm run client:pack` builds, a generated declaration of the same procedures takes
// this module's place (scripts/client-router-types.ts), so a tool in another repository gets the
// types without any of the server's files.
export type { AppRouter } from '../server/trpc/router';
