// A certified OpenID provider (panva's oidc-provider, pinned in package-lock.json) on loopback
// for Orderbell's sign-in tests.
//
//   node provider.mjs PORT REDIRECT_URI [CLIENT_SECRET]
//
// Issuer http://127.0.0.1:PORT, one confidential client `orderbell-client` (client_secret_basic,
// authorization code with PKCE S256 required), RS256 ID tokens (the provider's development
// key). The built-in development interactions (devInteractions) sign in any login with any
// password; the account's claims are e-mail `${login}@example.com`, verified, and a name.
// Prints `READY <issuer>` on stdout once it listens.
import Provider from 'oidc-provider';

const [port, redirectUri, secret = 'orderbell-test-secret-0123456789'] = process.argv.slice(2);
if (!port || !redirectUri) {
  console.error('usage: node provider.mjs PORT REDIRECT_URI [CLIENT_SECRET]');
  process.exit(2);
}
const issuer = `http://127.0.0.1:${port}`;

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: 'orderbell-client',
      client_secret: secret,
      redirect_uris: [redirectUri],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    },
  ],
  pkce: { required: () => true },
  // The claims go into the ID token (as Google's do), not only to the userinfo endpoint.
  conformIdTokenClaims: false,
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name'],
  },
  features: { devInteractions: { enabled: true } },
  async findAccount(ctx, id) {
    return {
      accountId: id,
      async claims() {
        return {
          sub: id,
          email: `${id}@example.com`,
          email_verified: true,
          name: `Test ${id}`,
        };
      },
    };
  },
});
// Plain http on loopback is what the test runs; nothing here is meant for anything else.
provider.proxy = false;

provider.listen(Number(port), '127.0.0.1', () => {
  console.log(`READY ${issuer}`);
});
