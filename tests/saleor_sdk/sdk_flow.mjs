// Saleor's storefront auth SDK, unchanged, against our API: node sdk_flow.mjs <api url> <settings json>.
// Prints one JSON report on stdout; test_auth_sdk.py checks it.
import { createSaleorAuthClient } from "@saleor/auth-sdk";

const [apiUrl, settingsJson] = process.argv.slice(2);
const { accounts, wrong, accessTtl } = JSON.parse(settingsJson);
const ME = "query Me { me { email orders(first: 5) { totalCount } } }";
const DEACTIVATE = "mutation SignOutEverywhere { tokensDeactivateAll { errors { field code message } } }";
const REFRESH = "mutation refreshToken($refreshToken: String!) { tokenRefresh(refreshToken: $refreshToken) { token errors { code } } }";

// Every request the SDK sends goes through the global fetch: note its operation and whether it
// carried a token.
const sent = [];
const realFetch = globalThis.fetch;
globalThis.fetch = (input, init = {}) => {
  const query = JSON.parse(init.body || "{}").query || "";
  const operation = query.match(/\b(?:query|mutation)\s+(\w+)/)?.[1] ?? "?";
  sent.push({ operation, withToken: Boolean(init.headers?.Authorization) });
  return realFetch(input, init);
};

function memoryStorage() {
  const items = new Map();
  return {
    getItem: (key) => (items.has(key) ? items.get(key) : null),
    setItem: (key, value) => items.set(key, String(value)),
    removeItem: (key) => items.delete(key),
  };
}

const post = (query, variables) => ({
  method: "POST",
  headers: { "Content-Type": "application/json" },
  body: JSON.stringify({ query, variables }),
});

async function answer(response) {
  return { status: response.status, body: await response.json() };
}

const sleep = (seconds) => new Promise((resolve) => setTimeout(resolve, seconds * 1000));

async function journey({ login, password }) {
  const refreshTokenStorage = memoryStorage();
  const accessTokenStorage = memoryStorage();
  const client = createSaleorAuthClient({ saleorApiUrl: apiUrl, refreshTokenStorage, accessTokenStorage });
  const step = {};
  const signIn = await client.signIn({ email: login, password });
  step.signInErrors = signIn.data.tokenCreate.errors;
  step.authState = refreshTokenStorage.getItem(`${apiUrl}+saleor_auth_module_auth_state`);
  const firstAccess = accessTokenStorage.getItem(`${apiUrl}+saleor_auth_access_token`);
  const refreshToken = refreshTokenStorage.getItem(`${apiUrl}+saleor_auth_module_refresh_token`);
  step.meFirst = await answer(await client.fetchWithAuth(apiUrl, post(ME)));
  await sleep(accessTtl + 1); // past the access token's `exp`: the SDK must refresh
  step.meAfterExpiry = await answer(await client.fetchWithAuth(apiUrl, post(ME)));
  const secondAccess = accessTokenStorage.getItem(`${apiUrl}+saleor_auth_access_token`);
  step.accessTokenRenewed = Boolean(secondAccess) && secondAccess !== firstAccess;
  step.firstAccessNow = await answer(await realFetch(apiUrl, { ...post(ME), headers: { "Content-Type": "application/json", Authorization: `Bearer ${firstAccess}` } }));
  // Signing out: end the tokens on the server, then let the SDK forget them.
  step.deactivate = await answer(await client.fetchWithAuth(apiUrl, post(DEACTIVATE)));
  client.signOut();
  step.authStateAfterSignOut = refreshTokenStorage.getItem(`${apiUrl}+saleor_auth_module_auth_state`);
  step.meAfterSignOut = await answer(await client.fetchWithAuth(apiUrl, post(ME)));
  step.oldRefreshToken = await answer(await realFetch(apiUrl, post(REFRESH, { refreshToken })));
  step.oldAccessToken = await answer(await realFetch(apiUrl, { ...post(ME), headers: { "Content-Type": "application/json", Authorization: `Bearer ${secondAccess}` } }));
  return step;
}

async function wrongPassword({ login, password }) {
  const refreshTokenStorage = memoryStorage();
  const client = createSaleorAuthClient({ saleorApiUrl: apiUrl, refreshTokenStorage, accessTokenStorage: memoryStorage() });
  const result = await client.signIn({ email: login, password });
  return {
    result,
    authState: refreshTokenStorage.getItem(`${apiUrl}+saleor_auth_module_auth_state`),
    me: await answer(await client.fetchWithAuth(apiUrl, post(ME))),
  };
}

// One after the other: the test server shares one SQLite connection between its request threads.
const report = {};
for (const [name, credentials] of Object.entries(accounts)) {
  report[name] = await journey(credentials);
}
report.wrongPassword = await wrongPassword(wrong);
report.sent = sent;
console.log(JSON.stringify(report));
