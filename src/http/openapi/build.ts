import type { Route } from '../rest-router.js';
import { configSchemas } from './config-schema.js';
import { OPERATIONS, type OperationDoc } from './operations.js';
import * as shapes from './schemas.js';
import type { Schema } from './schema-kit.js';

const text = (description: string) => ({ description, content: { 'text/plain': { schema: { type: 'string' } } } });
const AUTH_ERRORS = {
  401: text('no valid credentials (API key, Bearer token, session cookie or Basic)'),
  403: text('CSRF token missing or wrong, or forbidden'),
};

function answer(doc: OperationDoc): Record<string, unknown> {
  const ok = doc.ok;
  if ('sse' in ok) return { description: 'an event stream', content: { 'text/event-stream': { schema: { type: 'string' } } } };
  if ('text' in ok) return text(ok.text || 'text');
  if ('binary' in ok) return { description: ok.description, content: { [ok.binary]: { schema: { type: 'string', contentMediaType: ok.binary } } } };
  if ('empty' in ok) return { description: ok.description ?? 'empty body' };
  // `x-empty-body`: the same status may also come with no body at all (the call without _async).
  return { description: ok.description ?? 'OK', content: { 'application/json': { schema: ok.json } }, ...(ok.orEmpty ? { 'x-empty-body': true } : {}) };
}

function operation(route: Route, doc: OperationDoc): Record<string, unknown> {
  const pathParams = route.path
    .split('/')
    .filter((s) => s.startsWith(':'))
    .map((s) => ({ name: s.slice(1), in: 'path', required: true, schema: { type: 'string' } }));
  const query = (doc.query ?? []).map((q) => ({
    name: q.name,
    in: 'query',
    required: q.required ?? false,
    description: q.description,
    schema: q.repeat ? { type: 'array', items: q.schema } : q.schema,
    ...(q.repeat ? { style: 'form', explode: true } : {}),
  }));
  const responses: Record<string, unknown> = { [doc.okStatus ?? 200]: answer(doc) };
  for (const [status, why] of Object.entries(doc.errors ?? {})) responses[status] = text(why);
  if (!doc.noAuth) for (const [status, r] of Object.entries(AUTH_ERRORS)) responses[status] ??= r;
  const op: Record<string, unknown> = {
    operationId: `${route.method.toLowerCase()}${route.path.replace(/[/:.-]+(\w)/g, (_, c: string) => c.toUpperCase())}`,
    summary: doc.summary,
    tags: [doc.tag],
    parameters: [...pathParams, ...query],
    responses,
  };
  if (doc.body) op.requestBody = { required: true, content: { 'application/json': { schema: doc.body } } };
  if (doc.bodyText) op.requestBody = { required: false, content: { 'text/plain': { schema: { type: 'string' } } } };
  if (doc.noAuth) op.security = [];
  return op;
}

/**
 * The OpenAPI 3.1 description of exactly the routes the server registered. Every route needs an
 * entry in OPERATIONS and every entry a route; either mismatch is an error, not a gap.
 */
export function buildOpenApi(routes: Route[], version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  const seen = new Set<string>();
  for (const r of routes) {
    const key = `${r.method} ${r.path}`;
    const doc = OPERATIONS[key];
    if (!doc) throw new Error(`OpenAPI: no description for ${key}`);
    seen.add(key);
    const p = r.path.replace(/:(\w+)/g, '{$1}');
    (paths[p] ??= {})[r.method.toLowerCase()] = operation(r, doc);
  }
  const extra = Object.keys(OPERATIONS).filter((k) => !seen.has(k));
  if (extra.length) throw new Error(`OpenAPI: described but not served: ${extra.join(', ')}`);
  const schemas: Record<string, Schema> = { ...configSchemas() };
  for (const [name, s] of Object.entries(shapes)) schemas[name] = s;
  return {
    openapi: '3.1.0',
    info: {
      title: 'Synchro REST API',
      version,
      description: "Syncthing's REST API as Synchro serves it. Error bodies are plain text. Config objects carry an ETag; writes honour If-Match.",
    },
    servers: [{ url: '/' }],
    security: [{ apiKey: [] }, { bearer: [] }, { session: [] }],
    paths,
    components: {
      schemas,
      securitySchemes: {
        apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
        bearer: { type: 'http', scheme: 'bearer' },
        session: { type: 'apiKey', in: 'cookie', name: 'sessionid-<short device ID>' },
      },
    },
  };
}
