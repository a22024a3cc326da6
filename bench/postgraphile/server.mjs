// Peer (d) of the benchmark: PostGraphile 5 over the bench database, on 127.0.0.1 only.
//
//   DATABASE_URL=postgres://... SALESCOORD_SECRET=... PORT=8304 node server.mjs
//
// Like the service, it verifies the bearer token on every request (HS256, the service's
// secret and issuer, sub/ch/exp required) and tells PostgreSQL who the viewer is through
// pgSettings (jwt.claims.sub, jwt.claims.ch); the SQL functions of peer.sql read the
// viewer's row and apply their scope. An invalid token gets no viewer, so no data.
//
// GET /healthz answers once the schema is built; GET /statements is the number of
// statements sent to PostgreSQL so far (BEGIN, set_config and COMMIT included), which the
// harness reads around one request to count statements per request. BENCH_LOG_SQL=1 writes
// each statement to stderr.
import { createServer } from "node:http";

import jwt from "jsonwebtoken";
import pg from "pg";
import { postgraphile } from "postgraphile";
import { makePgService } from "postgraphile/adaptors/pg";
import { grafserv } from "postgraphile/grafserv/node";
import { PostGraphileAmberPreset } from "postgraphile/presets/amber";

const { DATABASE_URL, SALESCOORD_SECRET } = process.env;
const HOST = process.env.HOST ?? "127.0.0.1";
const PORT = Number(process.env.PORT ?? 8304);
const POOL_SIZE = Number(process.env.DB_POOL_SIZE ?? 10); // as the service's engine and the floor

const LOG_SQL = process.env.BENCH_LOG_SQL === "1"; // every statement to stderr, for reading plans

let statements = 0;
// jit=off as on the service's engine and the floor's pool: Q4's estimates are in the
// billions, and PostgreSQL would compile it (PostGraphile itself only turns off JIT's
// optimisation, not its compilation).
const pool = new pg.Pool({ connectionString: DATABASE_URL, max: POOL_SIZE, options: "-c jit=off" });
pool.on("connect", (client) => {
  const query = client.query;
  client.query = function countedQuery(...args) {
    statements += 1;
    if (LOG_SQL) console.error(`-- statement ${statements}\n${args[0]?.text ?? args[0]}`);
    return query.apply(this, args);
  };
  client.on("error", (error) => console.error("PostgreSQL client error", error));
});
pool.on("error", (error) => console.error("PostgreSQL pool error", error));

/** pgSettings for a request: the verified viewer, or nothing. */
function viewerSettings(authorization) {
  const [scheme, token] = (authorization ?? "").split(" ");
  if (scheme !== "Bearer" || !token) return {};
  try {
    const claims = jwt.verify(token, SALESCOORD_SECRET, { algorithms: ["HS256"], issuer: "salescoord" });
    if (!claims.sub || !claims.ch || typeof claims.exp !== "number") return {};
    return { "jwt.claims.sub": String(claims.sub), "jwt.claims.ch": String(claims.ch) };
  } catch {
    return {};
  }
}

// Only the functions of peer.sql answer from the root; the views are reachable only as the
// rows those functions return and along the foreign keys peer.sql declares on them.
const ONLY_THROUGH_FUNCTIONS = [
  "-query:resource:list -query:resource:connection -query:resource:single",
  "-insert -update -delete -node",
  "-manyRelation:resource:list -manyRelation:resource:connection",
].join(" ");

const preset = {
  extends: [PostGraphileAmberPreset],
  schema: { defaultBehavior: ONLY_THROUGH_FUNCTIONS },
  pgServices: [makePgService({ pool, schemas: ["bench_peer"], pubsub: false })],
  grafserv: { graphqlPath: "/graphql", graphiql: false, watch: false },
  grafast: {
    explain: false,
    context(requestContext) {
      const headers = requestContext.node?.req?.headers ?? {};
      return { pgSettings: viewerSettings(headers.authorization) };
    },
  },
};

const pgl = postgraphile(preset);
const serv = pgl.createServ(grafserv);
await pgl.getSchema(); // build the schema before answering /healthz
const graphql = serv.createHandler(); // plain HTTP; no websockets needed

function answer(res, body) {
  const payload = Buffer.from(JSON.stringify(body));
  res.writeHead(200, { "content-type": "application/json", "content-length": payload.length });
  res.end(payload);
}

const server = createServer((req, res) => {
  if (req.method === "GET" && req.url === "/healthz") return answer(res, { status: "ok" });
  if (req.method === "GET" && req.url === "/statements") return answer(res, { statements });
  return graphql(req, res);
});
server.keepAliveTimeout = 60_000;
server.listen(PORT, HOST);
for (const signal of ["SIGTERM", "SIGINT"]) {
  process.on(signal, () => server.close(() => pgl.release().then(() => pool.end())));
}
