// A local OpenID Connect provider for fundledger's single sign-on tests: panva's
// `oidc-provider` (an OpenID Certified implementation), run as a real HTTP server on
// 127.0.0.1. Nothing here is a mock: discovery, the authorization code flow with PKCE,
// signed ID tokens and single-use codes are the library's own.
//
// Settings (environment):
//   OIDC_PORT           port to listen on (default 0: a free one, printed when listening)
//   OIDC_CLIENT_ID      the one registered client (a confidential web application)
//   OIDC_CLIENT_SECRET  its secret (client_secret_basic at the token endpoint)
//   OIDC_REDIRECT_URI   its one redirect URI (fundledger's /sign-in/sso/callback)
//
// Accounts: the development login form (`/interaction/{uid}`, fields `login` and
// `password`) signs in whoever is typed; the login is the account's email address, given
// as the `email` claim. `email_verified` is true, except for addresses whose local part
// begins with `unverified` (so a test can present an unverified email).
//
// When listening it prints one line to standard output:
//   oidc-provider listening on http://127.0.0.1:{port}
// and that URL is the issuer.

import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';

import Provider from 'oidc-provider';

function required(name) {
  const value = process.env[name];
  if (!value) {
    console.error(`${name} must be set`);
    process.exit(2);
  }
  return value;
}

const clientId = required('OIDC_CLIENT_ID');
const clientSecret = required('OIDC_CLIENT_SECRET');
const redirectUri = required('OIDC_REDIRECT_URI');
const port = Number(process.env.OIDC_PORT ?? '0');

// A fresh signing key per run: no development key shipped with the library is trusted.
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: 'jwk' }), use: 'sig', kid: `test-${randomBytes(6).toString('hex')}` };

function account(accountId) {
  const email = accountId.trim().toLowerCase();
  return {
    accountId,
    async claims() {
      return {
        sub: accountId,
        email,
        email_verified: !email.startsWith('unverified'),
      };
    },
  };
}

const server = createServer();
server.listen(port, '127.0.0.1', () => {
  const issuer = `http://127.0.0.1:${server.address().port}`;
  const provider = new Provider(issuer, {
    clients: [{
      client_id: clientId,
      client_secret: clientSecret,
      redirect_uris: [redirectUri],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    }],
    jwks: { keys: [signingKey] },
    cookies: { keys: [randomBytes(32).toString('hex')] },
    claims: { openid: ['sub'], email: ['email', 'email_verified'] },
    // The email claims go in the ID token itself (as Google and Microsoft put them),
    // not only behind the userinfo endpoint.
    conformIdTokenClaims: false,
    // The relying party must use PKCE (S256), confidential client or not.
    pkce: { required: () => true },
    features: { devInteractions: { enabled: true } },
    // A first-party client: the organisation's administrator has consented for everyone,
    // so no consent screen follows the login form.
    async loadExistingGrant(ctx) {
      const grant = new ctx.oidc.provider.Grant({
        clientId: ctx.oidc.client.clientId,
        accountId: ctx.oidc.session.accountId,
      });
      grant.addOIDCScope('openid email');
      await grant.save();
      return grant;
    },
    findAccount: (ctx, sub) => account(sub),
  });
  provider.on('server_error', (ctx, error) => console.error('oidc-provider server_error', error));
  server.on('request', provider.callback());
  console.log(`oidc-provider listening on ${issuer}`);
});

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
