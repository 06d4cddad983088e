import { statusWithoutSecrets } from './redact-status';

it('prints a secure dev cluster\'s status without the admin password', () => {
  const status = { bootstrap: 'b', security: { caFile: 'ca.pem', admin: { user: 'admin', password: 's3cret', commandConfig: 'admin.properties' } } };
  const printed = JSON.stringify(statusWithoutSecrets(status));
  expect(printed).not.toContain('s3cret');
  expect(printed).toContain('admin.properties');
  expect(status.security.admin.password).toBe('s3cret'); // the status itself is untouched
  const plain: { bootstrap: string; security?: Record<string, unknown> } = { bootstrap: 'b' };
  expect(statusWithoutSecrets(plain)).toEqual({ bootstrap: 'b' });
});
