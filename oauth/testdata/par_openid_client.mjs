// openid-client 6.8.9 pushes an authorization request of a confidential
// client (client_secret_basic) with buildAuthorizationUrlWithPAR and
// prints the URL the browser is to open.
// Usage: node par_openid_client.mjs ISSUER CLIENT_ID SECRET REDIRECT_URI CHALLENGE STATE
import * as client from 'openid-client'

const [issuer, clientId, secret, redirectUri, challenge, state] = process.argv.slice(2)
const config = await client.discovery(new URL(issuer), clientId, undefined, client.ClientSecretBasic(secret), {
  execute: [client.allowInsecureRequests],
})
const url = await client.buildAuthorizationUrlWithPAR(config, {
  redirect_uri: redirectUri, scope: 'openid api:read', state,
  code_challenge: challenge, code_challenge_method: 'S256',
})
console.log(url.href)
