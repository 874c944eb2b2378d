/**
 * Mark a fastify plugin as not encapsulated: its hooks, handlers, content-type parsers and
 * decorators then belong to the app that registers it, as `fastify-plugin` does. neurules
 * does not depend on that package for it: setting the `skip-override` symbol (and a name for
 * fastify's plugin tree) is the whole of what the server needs, fastify reads the symbol
 * itself, and the version check the package adds is the lockfile's job here.
 *
 * Only the plugins whose effect must reach every route use it (problem documents, JSON
 * bodies, the request metrics); the route plugins stay encapsulated.
 *
 * @example
 * export async function problemsPlugin(app: FastifyInstance): Promise<void> { ... }
 * shareWithParent(problemsPlugin, 'neurules-problems');
 */
export function shareWithParent(plugin: object, name: string): void {
  Object.assign(plugin, {
    [Symbol.for('skip-override')]: true,
    [Symbol.for('fastify.display-name')]: name,
  });
}
