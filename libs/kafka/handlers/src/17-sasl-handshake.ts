// SaslHandshake (17)
// Behavior: on a SASL listener, before authentication, picks the mechanism the following
//   SaslAuthenticate exchange uses. An unknown or disabled mechanism answers
//   UNSUPPORTED_SASL_MECHANISM with the enabled list; a second handshake, one after login or one
//   on a non-SASL listener answers ILLEGAL_SASL_STATE.
// Version notes: v1: the tokens travel in SaslAuthenticate requests. v0: they travel as bare
//   size-prefixed frames, each answered by one (the connection reads them, see
//   libs/gateway/src/raw-sasl.ts); kafka-python 2.0 always sends v0.
// Not implemented: re-authentication (connections.max.reauth.ms).
import { ErrorCode } from '@dms/kafka-errors';
import type { KafkaHandler } from './handler';

export const saslHandshakeHandler: KafkaHandler = {
  apiKey: 17,
  name: 'SaslHandshake',
  minVersion: 0,
  maxVersion: 1,
  acl: { none: 'selects the SASL mechanism before there is a principal to authorize' },
  beforeAuthentication: true,
  handle(ctx, req: any, version) {
    const sec = ctx.security;
    const session = ctx.session;
    const mechanisms = sec?.enabledMechanisms() ?? [];
    if (!sec || !session || !session.securityProtocol.startsWith('SASL_') || session.authenticated || session.sasl) {
      return { errorCode: ErrorCode.ILLEGAL_SASL_STATE, mechanisms };
    }
    if (!mechanisms.includes(req.mechanism)) {
      session.closeAfterResponse();
      return { errorCode: ErrorCode.UNSUPPORTED_SASL_MECHANISM, mechanisms };
    }
    session.sasl = sec.saslExchange(req.mechanism);
    if (version === 0) session.rawSaslTokens = true;
    return { errorCode: ErrorCode.NONE, mechanisms };
  },
};
