// openid-client 6.8.9 as a public client with DPoP (getDPoPHandle): the
// code exchange of a sign-in the Go test did, userinfo and a refresh, all
// with proofs of one ES256 key; openid-client retries use_dpop_nonce
// itself.
// Usage: node dpop_openid_client.mjs ISSUER CALLBACK_URL STATE VERIFIER
import * as client from 'openid-client'
import { webcrypto } from 'node:crypto'

const [issuer, callback, state, verifier] = process.argv.slice(2)
const config = await client.discovery(new URL(issuer), 'native', { id_token_signed_response_alg: 'ES256' }, client.None(), {
  execute: [client.allowInsecureRequests],
})
const keyPair = await client.randomDPoPKeyPair('ES256')
const DPoP = client.getDPoPHandle(config, keyPair)

const tokens = await client.authorizationCodeGrant(config, new URL(callback), {
  pkceCodeVerifier: verifier, expectedState: state,
}, undefined, { DPoP })
const info = await client.fetchUserInfo(config, tokens.access_token, tokens.claims().sub, { DPoP })
const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token, undefined, { DPoP })

const jwk = await webcrypto.subtle.exportKey('jwk', keyPair.publicKey)
const canon = JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y })
const jkt = Buffer.from(await webcrypto.subtle.digest('SHA-256', Buffer.from(canon))).toString('base64url')
console.log(JSON.stringify({
  jkt,
  token_type: tokens.token_type,
  access_token: tokens.access_token,
  userinfo_sub: info.sub,
  refreshed_token_type: refreshed.token_type,
  refreshed_access_token: refreshed.access_token,
}))
