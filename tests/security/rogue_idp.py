"""A rogue OpenID provider over real HTTP, standing in for an ID-porten that answers with crafted
tokens. It publishes a discovery document and a JWKS and answers the token endpoint with whatever
id_token the test mints; the portal's own code runs untouched."""

import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

KID = "rogue-1"


def _rsa():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


class RogueProvider:
    def __init__(self):
        self.key = _rsa()
        self.other_key = _rsa()  # signs "bad signature" tokens under the published kid
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.issuer = self.base
        self.claims: dict = {}
        self.sign_with_other_key = False
        self.token_requests: list[dict] = []
        self.par_status: int | None = None  # set: the discovery document names a PAR endpoint answering this
        self.par_requests: list[dict] = []
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def good_claims(self, *, client_id: str, nonce: str, pid: str, acr: str = "idporten-loa-high") -> dict:
        now = int(time.time())
        return {
            "iss": self.issuer,
            "aud": client_id,
            "sub": "pairwise-" + pid,
            "iat": now,
            "exp": now + 120,
            "nonce": nonce,
            "pid": pid,
            "acr": acr,
            "amr": ["TestID"],
            "locale": "nb",
            "jti": str(uuid.uuid4()),
        }

    def id_token(self) -> str:
        key = self.other_key if self.sign_with_other_key else self.key
        return jwt.encode(self.claims, key, algorithm="RS256", headers={"kid": KID})

    def _jwks(self) -> dict:
        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key()))
        jwk.update({"kid": KID, "alg": "RS256", "use": "sig"})
        return {"keys": [jwk]}

    def _handler(self):
        rogue = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _json(self, data, status=200):
                body = json.dumps(data).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                if self.path.endswith("/.well-known/openid-configuration"):
                    document = {
                        "issuer": rogue.base,
                        "authorization_endpoint": rogue.base + "/authorize",
                        "token_endpoint": rogue.base + "/token",
                        "jwks_uri": rogue.base + "/jwks",
                        "token_endpoint_auth_methods_supported": ["private_key_jwt"],
                    }
                    if rogue.par_status is not None:
                        document["pushed_authorization_request_endpoint"] = rogue.base + "/par"
                    self._json(document)
                elif self.path == "/jwks":
                    self._json(rogue._jwks())
                else:
                    self._json({"error": "not_found"}, 404)

            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                from urllib.parse import parse_qsl

                form = dict(parse_qsl(self.rfile.read(length).decode()))
                if self.path == "/par":
                    rogue.par_requests.append(form)
                    self._json({"error": "server_error"}, rogue.par_status or 500)
                    return
                rogue.token_requests.append(form)
                self._json(
                    {"access_token": "rogue", "token_type": "Bearer", "expires_in": 60, "id_token": rogue.id_token()}
                )

        return Handler
