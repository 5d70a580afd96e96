// The bearer token the runtime-auth bench server accepts (one of several in its file, as
// in production), shared by the server (http-servers.ts) and the load (runtime-http.bench.ts).
export const benchToken = 'bench-token-2f7c9e4a1b';
