// Prints the versions of the pinned clients, proving they import.
import * as client from 'openid-client';
import * as oauth from 'oauth4webapi';
import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
const v = (p) => require(`${p}/package.json`).version;
if (typeof client.discovery !== 'function' || typeof oauth.discoveryRequest !== 'function') {
  throw new Error('unexpected exports');
}
console.log(JSON.stringify({ 'openid-client': v('openid-client'), oauth4webapi: v('oauth4webapi') }));
