// openid-client 6.8.9 registers a client with dynamicClientRegistration
// (RFC 7591, with an initial access token) and then completes an
// authorization code flow with it, in two steps around the browser:
//   node register_openid_client.mjs register ISSUER INITIAL_TOKEN REDIRECT_URI STATE
//     prints {client_id, client_secret, registration_access_token, url, verifier}
//   node register_openid_client.mjs exchange ISSUER CLIENT_ID SECRET CALLBACK_URL VERIFIER STATE
//     prints {access_token, refresh_token, sub}
import * as client from 'openid-client'

const [mode, issuer, ...args] = process.argv.slice(2)
const insecure = { execute: [client.allowInsecureRequests] }

if (mode === 'register') {
  const [initialAccessToken, redirectUri, state] = args
  const config = await client.dynamicClientRegistration(new URL(issuer), {
    client_name: 'Bright Audits',
    redirect_uris: [redirectUri],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_post',
    scope: 'openid offline_access api:read',
  }, undefined, { ...insecure, initialAccessToken })
  const verifier = client.randomPKCECodeVerifier()
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri, scope: 'openid offline_access api:read', state,
    code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
  })
  const md = config.clientMetadata()
  console.log(JSON.stringify({
    client_id: md.client_id, client_secret: md.client_secret,
    registration_access_token: md.registration_access_token, url: url.href, verifier,
  }))
} else if (mode === 'exchange') {
  const [clientId, secret, callback, verifier, state] = args
  const config = await client.discovery(new URL(issuer), clientId, undefined, client.ClientSecretPost(secret), insecure)
  const tokens = await client.authorizationCodeGrant(config, new URL(callback), {
    pkceCodeVerifier: verifier, expectedState: state,
  })
  console.log(JSON.stringify({
    access_token: tokens.access_token, refresh_token: tokens.refresh_token, sub: tokens.claims()?.sub,
  }))
} else {
  throw new Error(`unknown mode ${mode}`)
}
