/**
 * A dev cluster's status without its secrets, for printing: `security.admin.password` stays in
 * the owner-only cluster.json and admin.properties (named by `security.admin.commandConfig`),
 * never on stdout where it would end up in terminal scrollback and CI logs.
 */
export function statusWithoutSecrets<T extends { security?: Record<string, unknown> }>(status: T): T {
  const admin = status.security?.admin as Record<string, unknown> | undefined;
  if (!admin || !('password' in admin)) return status;
  return { ...status, security: { ...status.security, admin: { ...admin, password: '[redacted: see commandConfig]' } } };
}
