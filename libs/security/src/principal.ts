/** Principal of a client that did not authenticate (PLAINTEXT, SSL without a certificate). */
export const ANONYMOUS = 'User:ANONYMOUS';

/**
 * Kafka's default principal for a TLS client certificate: "User:" + the subject distinguished
 * name in RFC 2253 order (most specific first), e.g. User:CN=alice,O=dms.
 * `subject` is node's X509Certificate.subject ("C=..\nO=..\nCN=..", certificate order).
 */
export function certificatePrincipal(subject: string): string {
  const rdns = subject.split('\n').filter(Boolean).reverse();
  return `User:${rdns.map((r) => r.replace(/([,+"\\<>;])/g, '\\$1')).join(',')}`;
}
