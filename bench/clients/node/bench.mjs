// The official Node Gateway client (@hyperledger/fabric-gateway 1.12.1) as
// a driver of medchain-bench client-compare (issue 13 §3).
//
// It replays a workload made by `medchain-bench client-workload` without
// knowing anything of medchain: the manifest names the gateway, the
// identity, the channel, the chaincode and its two functions; the workload
// files hold hex arguments, one a line. The phases, their flags and the
// JSON written to stdout are those of the Go driver (../go/main.go) and of
// `medchain-bench client-run --driver ours`:
//
//  1. evaluate: --get-warmup calls, then --get-calls timed calls, one after
//     the other, cycling through the stored keys; each answer is checked
//     against the workload's expected answer;
//  2. submit: --store-warmup, then --store-calls timed submit+commit calls,
//     one after the other (a transaction committed invalid is a failure);
//  3. throughput: for each --concurrency level, --level-tx submissions (at
//     most --level-seconds seconds of new ones, 0 = no limit) with that
//     many in flight; committed transactions per second;
//
// with the CPU time (user + system, process.resourceUsage) of each phase
// and of the whole process, and the peak resident set (maxRSS).
//
// Run `npm ci` here first.
import { createPrivateKey } from 'node:crypto';
import { createReadStream, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import { connect, signers } from '@hyperledger/fabric-gateway';

const CLIENT = '@hyperledger/fabric-gateway 1.12.1';
const MANIFEST_FORMAT = 'medchain-client-workload-v1';

function fail(message) {
  process.stderr.write(`node driver: ${message}\n`);
  process.exit(1);
}

// The process's user + system CPU seconds.
function cpuSeconds() {
  const usage = process.resourceUsage();
  return (usage.userCPUTime + usage.systemCPUTime) / 1e6;
}

const integer = (name, text) => {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) fail(`--${name} ${text}: give a non-negative integer`);
  return n;
};

function options() {
  const { values } = parseArgs({
    options: {
      workload: { type: 'string' },
      'store-offset': { type: 'string', default: '0' },
      'get-warmup': { type: 'string', default: '50' },
      'get-calls': { type: 'string', default: '2000' },
      'store-warmup': { type: 'string', default: '20' },
      'store-calls': { type: 'string', default: '300' },
      concurrency: { type: 'string', default: '1,4,16,64' },
      'level-tx': { type: 'string', default: '500' },
      'level-seconds': { type: 'string', default: '0' },
    },
  });
  if (!values.workload) fail('--workload DIR is required');
  const levels = values.concurrency.split(',').map((c) => integer('concurrency', c.trim()));
  if (levels.some((c) => c < 1)) fail('--concurrency: give positive integers separated by commas');
  const levelSeconds = Number(values['level-seconds']);
  if (!(levelSeconds >= 0)) fail(`--level-seconds ${values['level-seconds']}: give a number of seconds`);
  return {
    workload: values.workload,
    storeOffset: integer('store-offset', values['store-offset']),
    getWarmup: integer('get-warmup', values['get-warmup']),
    getCalls: integer('get-calls', values['get-calls']),
    storeWarmup: integer('store-warmup', values['store-warmup']),
    storeCalls: integer('store-calls', values['store-calls']),
    levels,
    levelTx: integer('level-tx', values['level-tx']),
    levelSeconds,
  };
}

// `count` hex lines of `path` from line `offset` (0-based), holding only those.
async function readLines(path, offset, count) {
  const out = [];
  const lines = createInterface({ input: createReadStream(path), crlfDelay: Infinity });
  let line = 0;
  for await (const text of lines) {
    if (out.length >= count) break;
    if (line >= offset) {
      const trimmed = text.trim();
      if (!/^([0-9a-fA-F]{2})*$/.test(trimmed)) fail(`${path} line ${line + 1} is not hex`);
      out.push(Buffer.from(trimmed, 'hex'));
    }
    line += 1;
  }
  lines.close();
  if (out.length < count) {
    fail(`${path} has ${out.length} lines from line ${offset + 1}, ${count} needed; make a larger workload`);
  }
  return out;
}

function gatewayOf(manifest) {
  const gw = manifest.gateway;
  const client = new grpc.Client(gw.endpoint, grpc.credentials.createSsl(readFileSync(gw.tls_ca)), {
    'grpc.ssl_target_name_override': gw.server_name,
  });
  const gateway = connect({
    client,
    identity: { mspId: manifest.msp_id, credentials: readFileSync(manifest.cert) },
    signer: signers.newPrivateKeySigner(createPrivateKey(readFileSync(manifest.key))),
    evaluateOptions: () => ({ deadline: Date.now() + 30000 }),
    endorseOptions: () => ({ deadline: Date.now() + 30000 }),
    submitOptions: () => ({ deadline: Date.now() + 30000 }),
    commitStatusOptions: () => ({ deadline: Date.now() + 60000 }),
  });
  return { client, gateway };
}

async function evaluate(contract, fn, key, want) {
  const answer = await contract.evaluateTransaction(fn, key);
  if (!want.equals(answer)) throw new Error(`the answer for key ${key.toString('hex')} is not the expected one`);
}

async function submit(contract, fn, argument) {
  await contract.submitTransaction(fn, argument);
}

const now = () => Number(process.hrtime.bigint()) / 1e9;

// `warmup` untimed calls, then `calls` timed ones, one after the other;
// call(i) makes the i-th.
async function runSequential(warmup, calls, call) {
  const out = { warmup, ok: 0, failed: 0, first_error: '', latencies_s: [], cpu_s: 0, elapsed_s: 0 };
  for (let i = 0; i < warmup; i++) {
    try {
      await call(i);
    } catch (e) {
      fail(`warm-up call ${i + 1} failed: ${e.message}`);
    }
  }
  const cpu = cpuSeconds();
  const start = now();
  for (let i = warmup; i < warmup + calls; i++) {
    const t = now();
    try {
      await call(i);
      out.latencies_s.push(now() - t);
      out.ok += 1;
    } catch (e) {
      out.failed += 1;
      if (!out.first_error) out.first_error = e.message;
    }
  }
  out.elapsed_s = now() - start;
  out.cpu_s = cpuSeconds() - cpu;
  return out;
}

// Submits `args` with `concurrency` in flight; no new one starts after
// `limitS` seconds (0: no limit).
async function runLevel(contract, fn, args, concurrency, limitS) {
  const out = { concurrency, submitted: 0, committed: 0, failed: 0, first_error: '', elapsed_s: 0, cpu_s: 0 };
  let next = 0;
  const cpu = cpuSeconds();
  const start = now();
  const worker = async () => {
    while (next < args.length && !(limitS > 0 && now() - start >= limitS)) {
      const argument = args[next++];
      try {
        await submit(contract, fn, argument);
        out.committed += 1;
      } catch (e) {
        out.failed += 1;
        if (!out.first_error) out.first_error = e.message;
      }
      out.submitted += 1;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  out.elapsed_s = now() - start;
  out.cpu_s = cpuSeconds() - cpu;
  return out;
}

async function main() {
  const o = options();
  let manifest;
  try {
    manifest = JSON.parse(readFileSync(join(o.workload, 'manifest.json'), 'utf8'));
  } catch (e) {
    fail(`${o.workload}/manifest.json: ${e.message}`);
  }
  if (manifest.format !== MANIFEST_FORMAT) fail(`${o.workload}/manifest.json is not a ${MANIFEST_FORMAT} manifest`);
  if (!(manifest.get_count >= 1)) fail('the workload names no stored key to evaluate');
  const needed = o.storeWarmup + o.storeCalls + o.levels.length * o.levelTx;
  const args = await readLines(join(o.workload, manifest.store_file), o.storeOffset, needed);
  const keys = await readLines(join(o.workload, manifest.get_file), 0, manifest.get_count);
  const answers = await readLines(join(o.workload, manifest.get_answer_file), 0, manifest.get_count);

  const { client, gateway } = gatewayOf(manifest);
  try {
    const contract = gateway.getNetwork(manifest.channel).getContract(manifest.chaincode);
    const out = {
      driver: 'node', client: CLIENT, runtime: `node ${process.version}`,
      store_offset: o.storeOffset, store_used: needed,
    };
    out.evaluate = await runSequential(o.getWarmup, o.getCalls,
      (i) => evaluate(contract, manifest.get_function, keys[i % keys.length], answers[i % keys.length]));
    out.submit = await runSequential(o.storeWarmup, o.storeCalls,
      (i) => submit(contract, manifest.store_function, args[i]));
    const rest = args.slice(o.storeWarmup + o.storeCalls);
    out.levels = [];
    for (const [i, c] of o.levels.entries()) {
      out.levels.push(await runLevel(contract, manifest.store_function,
        rest.slice(i * o.levelTx, (i + 1) * o.levelTx), c, o.levelSeconds));
    }
    out.cpu_s = cpuSeconds();
    out.cpu_resolution_s = 1e-6; // resourceUsage's microseconds
    out.peak_rss_kib = process.resourceUsage().maxRSS;
    process.stdout.write(`${JSON.stringify(out)}\n`);
  } finally {
    gateway.close();
    client.close();
  }
}

await main();
