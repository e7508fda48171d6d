// The official Node Gateway client (@hyperledger/fabric-gateway 1.12.1)
// against the medchain chaincode on the real network of MEDCHAIN_PROFILE
// (issue 13, part 2): registrations submitted and committed, queries
// evaluated, a refusal whose code and message reach the client intact in
// the error details, and chaincode events read with a start block and a
// checkpoint. Run with `npm ci && npm test` (tests/run-all.sh does).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { connect, signers, checkpointers, EndorseError, GatewayError } from '@hyperledger/fabric-gateway';

const ROLES = { doctor: 1, pharmacist: 2, insurer: 3, 'lawyer-expert': 4 };

function readProfile() {
  const path = process.env.MEDCHAIN_PROFILE;
  assert.ok(path, 'MEDCHAIN_PROFILE is not set; point it at the profile.json of a running network (network/up.sh)');
  return JSON.parse(readFileSync(path, 'utf8'));
}

// The few protobuf encodings the test needs (medchain.proto), by hand.
function varint(n) {
  const out = [];
  let v = BigInt(n);
  do {
    let byte = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) byte |= 0x80;
    out.push(byte);
  } while (v > 0n);
  return Buffer.from(out);
}
const lengthDelimited = (field, bytes) => Buffer.concat([varint((field << 3) | 2), varint(bytes.length), bytes]);

// InputParameter{reg: Registration{role, certificate_pem, msp_id}}, canonical.
function registration(role, certPem, mspId) {
  const reg = Buffer.concat([
    varint(1 << 3), varint(role), lengthDelimited(2, Buffer.from(certPem)), lengthDelimited(3, Buffer.from(mspId)),
  ]);
  return lengthDelimited(1, reg);
}

// Decodes a StoreEvent {key 1, case_key 2, type 3, receivers 4 (packed fixed64)}.
function storeEvent(bytes) {
  const buf = Buffer.from(bytes);
  const event = { key: Buffer.alloc(0), caseKey: Buffer.alloc(0), type: '', receivers: [] };
  let at = 0;
  const readVarint = () => {
    let v = 0n, shift = 0n, byte;
    do { byte = buf[at++]; v |= BigInt(byte & 0x7f) << shift; shift += 7n; } while (byte & 0x80);
    return v;
  };
  while (at < buf.length) {
    const tag = Number(readVarint());
    assert.equal(tag & 7, 2, `StoreEvent field ${tag >> 3} is length-delimited`);
    const length = Number(readVarint());
    const value = buf.subarray(at, at + length);
    at += length;
    switch (tag >> 3) {
      case 1: event.key = value; break;
      case 2: event.caseKey = value; break;
      case 3: event.type = value.toString('utf8'); break;
      case 4: for (let i = 0; i < value.length; i += 8) event.receivers.push(value.readBigUInt64LE(i)); break;
      default: assert.fail(`unknown StoreEvent field ${tag >> 3}`);
    }
  }
  return event;
}

function session(profile, role) {
  const id = profile.roles[role];
  assert.ok(id, `the profile has no role ${role}`);
  const gw = profile.orgs[id.org].gateway;
  const client = new grpc.Client(gw.endpoint, grpc.credentials.createSsl(readFileSync(gw.tls_ca)), {
    'grpc.ssl_target_name_override': gw.server_name,
  });
  const certPem = readFileSync(id.cert, 'utf8');
  const gateway = connect({
    client,
    identity: { mspId: id.msp_id, credentials: Buffer.from(certPem) },
    signer: signers.newPrivateKeySigner(createPrivateKey(readFileSync(id.key))),
    evaluateOptions: () => ({ deadline: Date.now() + 30000 }),
    endorseOptions: () => ({ deadline: Date.now() + 30000 }),
    submitOptions: () => ({ deadline: Date.now() + 30000 }),
    commitStatusOptions: () => ({ deadline: Date.now() + 60000 }),
  });
  const network = gateway.getNetwork(profile.channel);
  // ind: the last 8 bytes of the key's uncompressed point.
  const jwk = new X509Certificate(certPem).publicKey.export({ format: 'jwk' });
  const ind = Buffer.from(jwk.y, 'base64url').readBigUInt64BE(24);
  return {
    role, certPem, mspId: id.msp_id, roleNumber: ROLES[id.role_attribute], ind, network,
    contract: network.getContract(profile.chaincode),
    close() { gateway.close(); client.close(); },
  };
}

const be64 = (ind) => { const b = Buffer.alloc(8); b.writeBigUInt64BE(ind); return b; };
const hex16 = (ind) => ind.toString(16).padStart(16, '0');

async function register(s) {
  const input = registration(s.roleNumber, s.certPem, s.mspId);
  const commit = await s.contract.submitAsync('Store', { arguments: [input] });
  assert.deepEqual(Buffer.from(commit.getResult()), be64(s.ind), 'Store returns the participant index');
  const status = await commit.getStatus();
  assert.ok(status.successful, `the registration of ${s.role} committed (code ${status.code})`);
  return { input, txId: commit.getTransactionId(), block: status.blockNumber };
}

async function nextEvent(events) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error('no chaincode event within 60 s')), 60000);
  });
  const next = events[Symbol.asyncIterator]().next();
  const { value, done } = await Promise.race([next, timeout]).finally(() => clearTimeout(timer));
  assert.ok(!done, 'the event stream closed');
  return value;
}

function checkRegEvent(event, profile, txId, ind) {
  assert.equal(event.eventName, 'reg');
  assert.equal(event.chaincodeName, profile.chaincode);
  assert.equal(event.transactionId, txId);
  const payload = storeEvent(event.payload);
  assert.deepEqual(payload.key, be64(ind));
  assert.equal(payload.type, 'reg');
  assert.equal(payload.caseKey.length, 0);
  assert.deepEqual(payload.receivers, [ind]);
}

test('the official Node client submits, evaluates, reads refusals and checkpointed events', async () => {
  const profile = readProfile();
  const insurer = session(profile, 'insurer');
  const pharmacist = session(profile, 'pharmacist');
  try {
    // A registration, submitted and committed; its event read from its block.
    const { input, txId, block } = await register(insurer);
    const events = await insurer.network.getChaincodeEvents(profile.chaincode, { startBlock: block });
    const first = await nextEvent(events);
    events.close();
    checkRegEvent(first, profile, txId, insurer.ind);
    assert.equal(first.blockNumber, block);

    // Evaluate: the registration reads back byte for byte.
    const stored = await insurer.contract.evaluateTransaction('GetParticipant', be64(insurer.ind));
    assert.deepEqual(Buffer.from(stored), input);

    // A refused evaluation: not_found with status 404.
    const missing = '00'.repeat(32);
    await assert.rejects(insurer.contract.evaluateTransaction('Get', missing), (err) => {
      assert.ok(err instanceof GatewayError, `a GatewayError, got ${err}`);
      const want = `chaincode response 404, not_found: no record is stored under key ${missing}`;
      assert.ok(err.details.some((d) => d.message === want) || err.message.includes(want), `${err.message} ${JSON.stringify(err.details)}`);
      return true;
    });

    // A refused submission: every endorser's detail carries our status,
    // code and sentence intact.
    await assert.rejects(insurer.contract.submitTransaction('Store', input), (err) => {
      assert.ok(err instanceof EndorseError, `an EndorseError, got ${err}`);
      assert.ok(err.details.length > 0, 'error details');
      for (const detail of err.details) {
        assert.equal(detail.message, `chaincode response 409, already_stored: participant ${hex16(insurer.ind)} is already registered`);
      }
      return true;
    });

    // Checkpoints: after checkpointing the insurer's event, a stream resumes
    // after it and delivers the pharmacist's next one.
    const checkpoint = checkpointers.inMemory();
    await checkpoint.checkpointChaincodeEvent(first);
    const second = await register(pharmacist);
    const resumed = await insurer.network.getChaincodeEvents(profile.chaincode, { checkpoint, startBlock: 0n });
    const next = await nextEvent(resumed);
    resumed.close();
    checkRegEvent(next, profile, second.txId, pharmacist.ind);
  } finally {
    insurer.close();
    pharmacist.close();
  }
});
