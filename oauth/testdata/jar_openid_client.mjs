// openid-client 6.8.9 signs an authorization request (RFC 9101) with the
// client's ES256 key (buildAuthorizationUrlWithJAR) and prints the URL.
// Usage: node jar_openid_client.mjs ISSUER CLIENT_ID SECRET PRIVATE_JWK REDIRECT_URI CHALLENGE
import * as client from 'openid-client'
import { webcrypto } from 'node:crypto'

const [issuer, clientId, secret, jwkText, redirectUri, challenge] = process.argv.slice(2)
const config = await client.discovery(new URL(issuer), clientId, undefined, client.ClientSecretBasic(secret), {
  execute: [client.allowInsecureRequests],
})
const jwk = JSON.parse(jwkText)
const key = await webcrypto.subtle.importKey('jwk', jwk, { name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign'])
const url = await client.buildAuthorizationUrlWithJAR(config, {
  redirect_uri: redirectUri, scope: 'api:read', state: 'st-jar',
  code_challenge: challenge, code_challenge_method: 'S256',
}, { key, kid: jwk.kid })
console.log(url.href)
