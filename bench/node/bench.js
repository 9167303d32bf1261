// @slack/web-api tooling.tokens.rotate, for `make bench`.
//   node bench.js BASE RT CALLS WARMUP   prints {"us_per_call": …, "version": …}
'use strict';
const { WebClient } = require('@slack/web-api');
const { version } = require('@slack/web-api/package.json');

async function main() {
  const [base, rt, calls, warmup] = [process.argv[2], process.argv[3], +process.argv[4], +process.argv[5]];
  const client = new WebClient(undefined, { slackApiUrl: base });
  for (let i = 0; i < warmup; i++) await client.tooling.tokens.rotate({ refresh_token: rt });
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < calls; i++) {
    const r = await client.tooling.tokens.rotate({ refresh_token: rt });
    if (!r.ok) throw new Error('not ok');
  }
  const us = Number(process.hrtime.bigint() - t0) / 1e3 / calls;
  console.log(JSON.stringify({ us_per_call: us, version }));
}
main().catch((e) => { console.error(String(e && e.message)); process.exit(1); });
