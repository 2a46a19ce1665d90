// oauth4webapi 3.8.8 as a public client with DPoP: exchanges the code of
// a sign-in the Go test did, calls userinfo and refreshes, every request
// with a proof of one ES256 key, retrying once on use_dpop_nonce.
// Usage: node dpop_oauth4webapi.mjs ISSUER CALLBACK_URL REDIRECT_URI STATE VERIFIER
import * as oauth from 'oauth4webapi'
import { webcrypto } from 'node:crypto'

const [issuerArg, callback, redirectUri, state, verifier] = process.argv.slice(2)
const insecure = { [oauth.allowInsecureRequests]: true }
const issuer = new URL(issuerArg)
const as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, insecure))
const client = { client_id: 'native', id_token_signed_response_alg: 'ES256' }
const auth = oauth.None()
const keyPair = await oauth.generateKeyPair('ES256')
const DPoP = oauth.DPoP(client, keyPair)

// Each request once more after use_dpop_nonce: the handle has learnt the
// nonce from the error response by then.
async function retry(send, process) {
  try {
    return await process(await send())
  } catch (err) {
    if (oauth.isDPoPNonceError(err)) return process(await send())
    throw err
  }
}

const params = oauth.validateAuthResponse(as, client, new URL(callback), state)
const tokens = await retry(
  () => oauth.authorizationCodeGrantRequest(as, client, auth, params, redirectUri, verifier, { DPoP, ...insecure }),
  (res) => oauth.processAuthorizationCodeResponse(as, client, res),
)
const sub = oauth.getValidatedIdTokenClaims(tokens).sub
const info = await retry(
  () => oauth.userInfoRequest(as, client, tokens.access_token, { DPoP, ...insecure }),
  (res) => oauth.processUserInfoResponse(as, client, sub, res),
)
const refreshed = await retry(
  () => oauth.refreshTokenGrantRequest(as, client, auth, tokens.refresh_token, { DPoP, ...insecure }),
  (res) => oauth.processRefreshTokenResponse(as, client, res),
)

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
