import type { ConnectionSession, SecurityPort } from '@dms/kafka-handlers';

export type RawSaslOutcome =
  | { kind: 'reply'; frame: Buffer }
  /** Bad credentials or a malformed token: Kafka closes the connection without an answer. */
  | { kind: 'refused' };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * One step of a SASL exchange in the legacy framing a SaslHandshake v0 selects: the client sends
 * each token as a bare size-prefixed frame and gets the server's token back the same way (an
 * empty one when the mechanism has nothing to say, as PLAIN's last step). The step that proves
 * the client's identity authenticates the session and ends the legacy framing.
 */
export async function rawSaslStep(token: Buffer, session: ConnectionSession, security: SecurityPort | undefined): Promise<RawSaslOutcome> {
  const exchange = session.sasl;
  if (!security || !exchange) return { kind: 'refused' };
  const wait = security.attemptDelayMs(session);
  if (wait > 0) await sleep(wait);
  try {
    const { response, principal } = await exchange.step(token);
    if (principal) {
      session.sasl = null;
      session.rawSaslTokens = false;
      session.authenticate(principal);
      security.authenticationSucceeded(session);
    }
    const frame = Buffer.allocUnsafe(4 + response.length);
    frame.writeInt32BE(response.length, 0);
    response.copy(frame, 4);
    return { kind: 'reply', frame };
  } catch (e) {
    session.sasl = null;
    session.rawSaslTokens = false;
    await sleep(security.authenticationFailed(session, exchange.mechanism, (e as Error).message));
    return { kind: 'refused' };
  }
}
