// panva's oidc-provider (npm), the baseline of bench/idp_token.py: one confidential client, PKCE required,
// RS256 ID tokens, its in-memory adapter. It prepares COUNT authorization codes through its own models
// (as its interaction would after a sign-in) and prints them as one JSON line, then serves until killed.
//
//   npm install --prefix bench/.node oidc-provider@9.13.3
//   node bench/oidc_provider.mjs PORT COUNT CHALLENGE
import { createRequire } from "node:module";
import { generateKeyPairSync } from "node:crypto";

const require = createRequire(new URL("./.node/node_modules/", import.meta.url));
const { default: Provider } = await import(require.resolve("oidc-provider"));

const [port, count, challenge] = [Number(process.argv[2]), Number(process.argv[3]), process.argv[4]];
const issuer = `http://127.0.0.1:${port}`;
const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
const jwk = { ...privateKey.export({ format: "jwk" }), alg: "RS256", use: "sig", kid: "bench" };

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: "bench",
      client_secret: "bench-secret-0123456789abcdef0123456789abcdef",
      redirect_uris: ["http://127.0.0.1/callback"],
      grant_types: ["authorization_code"],
      response_types: ["code"],
      id_token_signed_response_alg: "RS256",
    },
  ],
  jwks: { keys: [jwk] },
  pkce: { required: () => true },
  findAccount: async (ctx, id) => ({ accountId: id, claims: async () => ({ sub: id }) }),
  acrValues: ["urn:civicid:loa:1", "urn:civicid:loa:2"],
  ttl: { Grant: 3600, AuthorizationCode: 3600, AccessToken: 600, IdToken: 600 },
});
provider.listen(port, "127.0.0.1");

const client = await provider.Client.find("bench");
const codes = [];
const now = Math.floor(Date.now() / 1000);
for (let i = 0; i < count; i += 1) {
  const grant = new provider.Grant({ accountId: "citizen", clientId: "bench" });
  grant.addOIDCScope("openid");
  const grantId = await grant.save();
  const code = new provider.AuthorizationCode({
    client,
    accountId: "citizen",
    grantId,
    scope: "openid",
    redirectUri: "http://127.0.0.1/callback",
    codeChallenge: challenge,
    codeChallengeMethod: "S256",
    authTime: now,
    acr: "urn:civicid:loa:2",
    amr: ["pwd", "sms"],
    nonce: `n${i}`,
  });
  codes.push(await code.save());
}
process.stdout.write(`${JSON.stringify({ issuer, codes })}\n`);
