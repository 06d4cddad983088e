// SaslAuthenticate (36)
// Behavior: feeds one client token to the exchange SaslHandshake started and returns the
//   server's token; the step that proves the client's identity authenticates the connection
//   as User:<name>. A failed login is logged, answered SASL_AUTHENTICATION_FAILED after
//   a delay (connection.failed.authentication.delay.ms, doubled per failure from the client's
//   address up to connection.failed.authentication.delay.max.ms) and the connection closed, as
//   Kafka does; further logins from that address wait their turn, one per delay.
// Version notes: v1+ carries sessionLifetimeMs (0: no re-authentication required); v2 flexible.
// Not implemented: OAUTHBEARER, GSSAPI, re-authentication.
import { ErrorCode } from '@dms/kafka-errors';
import type { KafkaHandler } from './handler';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export const saslAuthenticateHandler: KafkaHandler = {
  apiKey: 36,
  name: 'SaslAuthenticate',
  minVersion: 0,
  maxVersion: 2,
  acl: { none: 'carries the login itself; it authenticates the connection' },
  beforeAuthentication: true,
  async handle(ctx, req: any) {
    const session = ctx.session;
    const exchange = session?.sasl;
    const answer = (errorCode: number, errorMessage: string | null, authBytes: Buffer = Buffer.alloc(0)) => ({ errorCode, errorMessage, authBytes, sessionLifetimeMs: 0n });
    if (!ctx.security || !session || !exchange || session.authenticated) {
      session?.closeAfterResponse();
      return answer(ErrorCode.ILLEGAL_SASL_STATE, 'SaslAuthenticate without a SaslHandshake');
    }
    const wait = ctx.security.attemptDelayMs(session);
    if (wait > 0) await sleep(wait);
    try {
      const { response, principal } = await exchange.step(req.authBytes ?? Buffer.alloc(0));
      if (principal) {
        session.sasl = null;
        session.authenticate(principal);
        ctx.security.authenticationSucceeded(session);
      }
      return answer(ErrorCode.NONE, null, response);
    } catch (e) {
      session.sasl = null;
      session.closeAfterResponse();
      await sleep(ctx.security.authenticationFailed(session, exchange.mechanism, (e as Error).message));
      return answer(
        ErrorCode.SASL_AUTHENTICATION_FAILED,
        `Authentication failed during authentication due to invalid credentials with SASL mechanism ${exchange.mechanism}`,
      );
    }
  },
};
