import { readFileSync, readdirSync } from 'node:fs';
const dir = process.argv[2];
const f = readdirSync(dir).find(n => n.endsWith('.cpuprofile'));
const p = JSON.parse(readFileSync(`${dir}/${f}`));
const byId = new Map(p.nodes.map(n => [n.id, n]));
const self = new Map();
const dt = p.timeDeltas; let i = 0;
const time = new Map();
for (const s of p.samples) { time.set(s, (time.get(s) ?? 0) + (dt[i++] ?? 0)); }
// aggregate by url (file) of self time
const byUrl = new Map();
for (const [id, t] of time) { const n = byId.get(id); const u = (n.callFrame.url || n.callFrame.functionName || '(native)').replace(/.*node_modules\//,'nm/').replace(/.*dist\//,'dist/'); const key = u.split('/').slice(0,3).join('/'); byUrl.set(key, (byUrl.get(key) ?? 0) + t); }
const total = [...byUrl.values()].reduce((a,b)=>a+b,0);
console.log('total ms', (total/1000).toFixed(0));
for (const [k, v] of [...byUrl].sort((a,b)=>b[1]-a[1]).slice(0,25)) console.log((v/1000).toFixed(1).padStart(8), k);
