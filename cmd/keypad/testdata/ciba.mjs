// CIBA with openid-client (pinned in internal/nodetest/js): discovery,
// initiateBackchannelAuthentication, then, once the Go test (reached at
// the signal URL) has approved on the person's behalf,
// pollBackchannelAuthenticationGrant, which checks the ID token.
//
// usage: node ciba.mjs ISSUER CLIENT_ID CLIENT_SECRET LOGIN_HINT SIGNAL_URL
import * as client from 'openid-client';

const [issuer, clientId, clientSecret, loginHint, signal] = process.argv.slice(2);
const config = await client.discovery(
  new URL(issuer), clientId,
  { client_secret: clientSecret, id_token_signed_response_alg: 'ES256' },
  client.ClientSecretPost(clientSecret),
  { execute: [client.allowInsecureRequests] },
);
const started = await client.initiateBackchannelAuthentication(config, {
  scope: 'openid usage:read', login_hint: loginHint, binding_message: '5123',
});
const answer = await fetch(signal, { method: 'POST', body: started.auth_req_id });
if (!answer.ok) throw new Error(`signal: ${answer.status}`);
const tokens = await client.pollBackchannelAuthenticationGrant(config, started);
console.log(JSON.stringify({
  auth_req_id: started.auth_req_id, expires_in: started.expires_in, interval: started.interval,
  access_token: tokens.access_token, sub: tokens.claims()?.sub, scope: tokens.scope,
}));
