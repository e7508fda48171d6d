//! Criterion benchmarks of the `medchain-siff-v2` crypto core:
//! `cargo bench -p medchain --bench crypto`.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use medchain_protocol::limits::MAX_PLAINTEXT_BYTES;
use medchain_siff::{
    CaseId, KdfParams, ParticipantSecret, RecordKey, RecordType, SharedKey, Tag, establish_key,
    open_record, seal_record,
};
use rand_chacha::ChaCha20Rng;
use rand_core::{RngCore, SeedableRng};

const PARTICIPANT_COUNTS: [usize; 6] = [2, 3, 5, 8, 16, 32];

fn secrets(k: usize, rng: &mut ChaCha20Rng) -> Vec<ParticipantSecret> {
    (0..k)
        .map(|_| {
            let mut bytes = [0u8; 32];
            rng.fill_bytes(&mut bytes);
            ParticipantSecret::from_bytes(bytes)
        })
        .collect()
}

fn siff(c: &mut Criterion) {
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    let mut establish = c.benchmark_group("siff/establish_key");
    for k in PARTICIPANT_COUNTS {
        let participants = secrets(k, &mut rng);
        establish.bench_with_input(BenchmarkId::from_parameter(k), &participants, |b, p| {
            b.iter(|| establish_key(p, &mut rng).unwrap())
        });
    }
    establish.finish();
    let mut recover = c.benchmark_group("siff/recover_key");
    for k in PARTICIPANT_COUNTS {
        let participants = secrets(k, &mut rng);
        let (key, tag) = establish_key(&participants, &mut rng).unwrap();
        assert_eq!(tag.recover_key(&participants[k - 1]), key);
        recover.bench_with_input(
            BenchmarkId::from_parameter(k),
            &participants[k - 1],
            |b, s| b.iter(|| tag.recover_key(s)),
        );
    }
    recover.finish();
}

fn argon2id(c: &mut Criterion) {
    let case = CaseId::from_bytes([7; 32]);
    let mut group = c.benchmark_group("kdf");
    group.sample_size(10);
    group.bench_function("argon2id_default_m19456_t2_p1", |b| {
        b.iter(|| {
            ParticipantSecret::derive(
                "correct horse battery staple",
                &case,
                42,
                &KdfParams::DEFAULT,
            )
            .unwrap()
        })
    });
    group.finish();
}

fn aes_gcm(c: &mut Criterion) {
    let case = CaseId::from_bytes([7; 32]);
    let mut tag = vec![0u8; 3 * 66];
    tag[65] = 1;
    tag[131] = 2;
    let tag = Tag::from_bytes(&tag).unwrap();
    let key = RecordKey::derive(&SharedKey::from_bytes([9; 32]), &case, &tag).unwrap();
    let mut rng = ChaCha20Rng::seed_from_u64(2);
    let mut group = c.benchmark_group("record");
    for (name, size) in [("1KiB", 1024usize), ("1MiB", MAX_PLAINTEXT_BYTES)] {
        let plaintext = vec![0x5au8; size];
        let sealed = seal_record(&key, RecordType::Diagnosis, &case, &plaintext, &mut rng).unwrap();
        group.throughput(Throughput::Bytes(size as u64));
        group.bench_function(BenchmarkId::new("seal", name), |b| {
            b.iter(|| {
                seal_record(&key, RecordType::Diagnosis, &case, &plaintext, &mut rng).unwrap()
            })
        });
        group.bench_function(BenchmarkId::new("open", name), |b| {
            b.iter(|| open_record(&key, RecordType::Diagnosis, &case, &sealed).unwrap())
        });
    }
    group.finish();
}

criterion_group!(benches, siff, argon2id, aes_gcm);
criterion_main!(benches);
