"""An independent private_key_jwt client: Authlib's PrivateKeyJWT (RFC 7523
section 2.2) with its defaults (RS256, no kid, exp = iat + 3600), used as
its documentation shows. Prints the token response and the introspection
of the access token as one JSON object.

usage: authlib_private_key_jwt.py BASE_URL ISSUER CLIENT_ID PRIVATE_KEY_PEM_FILE
"""
import json
import sys

from authlib.integrations.requests_client import OAuth2Session
from authlib.oauth2.rfc7523 import PrivateKeyJWT

base, issuer, client_id, key_file = sys.argv[1:5]
with open(key_file) as f:
    key = f.read()

# The assertion's aud is the issuer's token endpoint; requests go to the
# test server's address.
session = OAuth2Session(
    client_id, key,
    token_endpoint_auth_method="private_key_jwt",
    revocation_endpoint_auth_method="private_key_jwt",
)
session.register_client_auth_method(PrivateKeyJWT(issuer + "/oauth2/token"))
token = session.fetch_token(base + "/oauth2/token", grant_type="client_credentials", scope="read")
resp = session.introspect_token(base + "/oauth2/introspect", token=token["access_token"])
print(json.dumps({"token": token, "introspection": resp.json(), "introspection_status": resp.status_code}))
