// The page at `/`: the server's live figures (conferences, members, talkers, tick lateness per
// shard) from /status.json, refreshed every second, and a link to the API's page at /docs.
// Figures only, no ids: the page needs no credentials.

/** The page's HTML. */
export const STATUS_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>confmix</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font:15px/1.4 system-ui,sans-serif;margin:2rem auto;max-width:46rem;padding:0 1rem;color:#222}
h1{font-size:1.4rem}table{border-collapse:collapse;margin:1rem 0}td,th{padding:.25rem .8rem;border-bottom:1px solid #ddd;text-align:right}
th:first-child,td:first-child{text-align:left}.figures span{display:inline-block;margin-right:2rem}.figures b{font-size:1.6rem;display:block}
</style></head><body>
<h1>confmix media server</h1>
<p class="figures"><span><b id="conferences">-</b>conferences</span><span><b id="members">-</b>members</span><span><b id="talking">-</b>talking now</span></p>
<table><thead><tr><th>shard</th><th>members</th><th>lateness p50</th><th>p99</th><th>max</th><th>load</th></tr></thead><tbody id="shards"></tbody></table>
<p>Join a conference from this browser: <a href="/softphone">the softphone</a>.</p>
<p>The Conference API: <a href="/docs">/docs</a> (OpenAPI at <a href="/openapi.json">/openapi.json</a>), metrics at <a href="/metrics">/metrics</a>.</p>
<section id="softphone"></section>
<script>
const ms = (v) => v.toFixed(2) + ' ms';
async function refresh() {
  try {
    const s = await (await fetch('/status.json')).json();
    for (const k of ['conferences', 'members', 'talking']) document.getElementById(k).textContent = s[k];
    document.getElementById('shards').innerHTML = s.shards.map((x) =>
      '<tr><td>' + x.shard + '</td><td>' + x.members + '</td><td>' + ms(x.lateness.p50Ms) + '</td><td>' + ms(x.lateness.p99Ms) + '</td><td>' + ms(x.lateness.maxMs) + '</td><td>' + Math.round(x.load * 100) + ' %</td></tr>').join('');
  } catch {}
}
refresh(); setInterval(refresh, 1000);
</script></body></html>
`;
