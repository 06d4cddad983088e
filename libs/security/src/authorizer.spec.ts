import { AclOperation as Op, AclPermissionType as Perm, filterMatches, PatternType, ResourceType as RT, validateBinding, type AclBinding } from './acl';
import { Authorizer } from './authorizer';
import { certificatePrincipal } from './principal';

const acl = (p: Partial<AclBinding>): AclBinding => ({
  resourceType: RT.TOPIC, resourceName: 't', patternType: PatternType.LITERAL, principal: 'User:alice', host: '*',
  operation: Op.READ, permissionType: Perm.ALLOW, ...p,
});

describe('Authorizer', () => {
  const make = (bindings: AclBinding[], allowEveryone = false) => {
    const a = new Authorizer({ superUsers: ['User:admin'], allowEveryoneIfNoAclFound: allowEveryone });
    a.setBindings(bindings);
    return a;
  };

  it('allows what is granted, implies DESCRIBE from READ, refuses the rest', () => {
    const a = make([acl({})]);
    expect(a.authorize('User:alice', '1.2.3.4', Op.READ, RT.TOPIC, 't')).toBe(true);
    expect(a.authorize('User:alice', '1.2.3.4', Op.DESCRIBE, RT.TOPIC, 't')).toBe(true);
    expect(a.authorize('User:alice', '1.2.3.4', Op.WRITE, RT.TOPIC, 't')).toBe(false);
    expect(a.authorize('User:bob', '1.2.3.4', Op.READ, RT.TOPIC, 't')).toBe(false);
    expect(a.authorize('User:alice', '1.2.3.4', Op.READ, RT.TOPIC, 'other')).toBe(false);
    expect(a.authorize('User:admin', '1.2.3.4', Op.WRITE, RT.TOPIC, 'other')).toBe(true);
  });

  it('prefixed patterns grant a family; deny wins over allow; wildcard principal and host match', () => {
    const a = make([
      acl({ resourceName: 'orders.', patternType: PatternType.PREFIXED, operation: Op.ALL }),
      acl({ resourceName: 'orders.secret', operation: Op.WRITE, permissionType: Perm.DENY, principal: 'User:*' }),
      acl({ resourceName: 'pub', principal: 'User:*', host: '10.0.0.1' }),
    ]);
    expect(a.authorize('User:alice', 'h', Op.WRITE, RT.TOPIC, 'orders.eu')).toBe(true);
    expect(a.authorize('User:alice', 'h', Op.WRITE, RT.TOPIC, 'orders.secret')).toBe(false);
    expect(a.authorize('User:alice', 'h', Op.READ, RT.TOPIC, 'orders.secret')).toBe(true);
    expect(a.authorize('User:alice', 'h', Op.WRITE, RT.TOPIC, 'order')).toBe(false);
    expect(a.authorize('User:zed', '10.0.0.1', Op.READ, RT.TOPIC, 'pub')).toBe(true);
    expect(a.authorize('User:zed', '10.0.0.2', Op.READ, RT.TOPIC, 'pub')).toBe(false);
  });

  it('follows allow.everyone.if.no.acl.found only for resources without any ACL', () => {
    expect(make([], true).authorize('User:x', 'h', Op.WRITE, RT.TOPIC, 'free')).toBe(true);
    expect(make([acl({ resourceName: 'free' })], true).authorize('User:x', 'h', Op.WRITE, RT.TOPIC, 'free')).toBe(false);
    expect(make([], false).authorize('User:x', 'h', Op.WRITE, RT.TOPIC, 'free')).toBe(false);
  });

  it('by resource type: any allowed resource of the type counts unless a deny covers it (idempotent producers)', () => {
    const a = make([acl({ resourceName: 'orders', operation: Op.WRITE }), acl({ resourceType: RT.GROUP, resourceName: 'g', principal: 'User:bob' })]);
    expect(a.authorizeByResourceType('User:alice', 'h', Op.WRITE, RT.TOPIC)).toBe(true);
    expect(a.authorizeByResourceType('User:bob', 'h', Op.WRITE, RT.TOPIC)).toBe(false);
    expect(a.authorizeByResourceType('User:alice', 'h', Op.READ, RT.TOPIC)).toBe(false);
    expect(a.authorizeByResourceType('User:admin', 'h', Op.WRITE, RT.TOPIC)).toBe(true);
    const denied = make([acl({ resourceName: 'orders', operation: Op.WRITE }), acl({ resourceName: '*', operation: Op.WRITE, permissionType: Perm.DENY })]);
    expect(denied.authorizeByResourceType('User:alice', 'h', Op.WRITE, RT.TOPIC)).toBe(false);
    const prefixDeny = make([
      acl({ resourceName: 'orders.eu', operation: Op.WRITE }),
      acl({ resourceName: 'orders.', patternType: PatternType.PREFIXED, operation: Op.WRITE, permissionType: Perm.DENY }),
    ]);
    expect(prefixDeny.authorizeByResourceType('User:alice', 'h', Op.WRITE, RT.TOPIC)).toBe(false);
    expect(make([], true).authorizeByResourceType('User:alice', 'h', Op.WRITE, RT.TOPIC)).toBe(true);
  });

  it('sees binding changes at once', () => {
    const a = make([acl({})]);
    expect(a.authorize('User:alice', 'h', Op.READ, RT.TOPIC, 't')).toBe(true);
    a.setBindings([]);
    expect(a.authorize('User:alice', 'h', Op.READ, RT.TOPIC, 't')).toBe(false);
  });
});

describe('ACL filters and validation', () => {
  const any = { resourceType: RT.ANY, resourceName: null, patternType: PatternType.ANY, principal: null, host: null, operation: Op.ANY, permissionType: Perm.ANY };
  it('matches like Kafka filters', () => {
    const prefixed = acl({ resourceName: 'orders.', patternType: PatternType.PREFIXED });
    expect(filterMatches(any, prefixed)).toBe(true);
    expect(filterMatches({ ...any, patternType: PatternType.MATCH, resourceName: 'orders.eu' }, prefixed)).toBe(true);
    expect(filterMatches({ ...any, patternType: PatternType.LITERAL, resourceName: 'orders.' }, prefixed)).toBe(false);
    expect(filterMatches({ ...any, principal: 'User:bob' }, prefixed)).toBe(false);
  });
  it('refuses malformed bindings', () => {
    expect(validateBinding(acl({}))).toBeNull();
    expect(validateBinding(acl({ principal: 'alice' }))).toMatch(/principal/);
    expect(validateBinding(acl({ resourceType: RT.CLUSTER, resourceName: 'x' }))).toMatch(/cluster/);
  });
  it('builds certificate principals in RFC 2253 order', () => {
    expect(certificatePrincipal('C=US\nO=dms\nCN=alice')).toBe('User:CN=alice,O=dms,C=US');
  });
});
