//! `attachments`: encrypt + store and fetch + verify + decrypt throughput
//! for files of several sizes on a real IPFS node (or a block directory),
//! and the client's peak resident memory during each operation — which
//! must not grow with the file's size.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use ipfs_blocks::{BlockStore, DirStore, KuboClient};
use medchain_sdk::attachments::{fetch_attachment, store_attachment};
use medchain_sdk::connect::NetworkProfile;
use medchain_siff::{CaseId, RecordKey};
use rand_core::{OsRng, RngCore};
use serde::Serialize;

use crate::args::AttachmentsArgs;
use crate::procs::{peak_rss_kib, reset_peak_rss};
use crate::report::{Table, write_json};
use crate::stats::Summary;

/// The measurements of one file size.
#[derive(Debug, Serialize)]
struct SizeResult {
    size_mib: u64,
    /// Encrypt + store, MiB/s.
    store_mib_s: Summary,
    /// Fetch + verify + decrypt + save, MiB/s.
    fetch_mib_s: Summary,
    /// The client's peak RSS during a store, MiB.
    store_peak_rss_mib: Summary,
    /// The client's peak RSS during a fetch, MiB.
    fetch_peak_rss_mib: Summary,
}

/// Runs `medchain-bench attachments`.
pub async fn run(args: &AttachmentsArgs) -> Result<()> {
    let store = match (&args.profile, &args.blocks_dir) {
        (Some(profile), _) => {
            let network = NetworkProfile::read(profile)?;
            let ipfs = network
                .ipfs
                .context("the profile names no IPFS node (ipfs.api); bring the network up with network/up.sh")?;
            BlockStore::Kubo(KuboClient::new(&ipfs.api)?)
        }
        (None, Some(dir)) => BlockStore::Dir(DirStore::open(dir)?),
        (None, None) => {
            bail!("give --profile PROFILE (the network's IPFS node) or --blocks-dir DIR")
        }
    };
    if args.repetitions == 0 {
        bail!("--repetitions must be at least 1");
    }
    let temp = tempfile::tempdir()?;
    let work = args.work.clone().unwrap_or_else(|| temp.path().to_owned());
    std::fs::create_dir_all(&work)?;
    let pid = std::process::id();
    let mut results = Vec::new();
    for &size_mib in &args.sizes_mib {
        let source = work.join(format!("attachment-{size_mib}MiB.bin"));
        write_random(&source, size_mib << 20)?;
        let (mut store_rate, mut fetch_rate, mut store_rss, mut fetch_rss) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for round in 0..args.repetitions {
            let mut key = [0u8; 32];
            OsRng.fill_bytes(&mut key);
            let key = RecordKey::from_bytes(key);
            let case = CaseId::from_bytes([round as u8; 32]);
            reset_peak_rss(pid);
            let started = Instant::now();
            let att = store_attachment(&store, &key, &case, &source, |_| {}).await?;
            store_rate.push(size_mib as f64 / started.elapsed().as_secs_f64());
            store_rss.push(peak_rss_kib(pid).unwrap_or(0) as f64 / 1024.0);

            let out = work.join(format!("download-{size_mib}-{round}"));
            std::fs::create_dir_all(&out)?;
            reset_peak_rss(pid);
            let started = Instant::now();
            let saved = fetch_attachment(&store, &key, &case, &att, &out, |_| {}).await?;
            fetch_rate.push(size_mib as f64 / started.elapsed().as_secs_f64());
            fetch_rss.push(peak_rss_kib(pid).unwrap_or(0) as f64 / 1024.0);
            if std::fs::metadata(&saved)?.len() != size_mib << 20 {
                bail!(
                    "the fetched copy of {} has the wrong size",
                    source.display()
                );
            }
            std::fs::remove_dir_all(&out)?;
            eprintln!(
                "{size_mib} MiB round {}: store {:.1} MiB/s, fetch {:.1} MiB/s",
                round + 1,
                store_rate[round],
                fetch_rate[round]
            );
        }
        std::fs::remove_file(&source)?;
        let summary = |v: &[f64]| Summary::of(v).unwrap_or_default();
        results.push(SizeResult {
            size_mib,
            store_mib_s: summary(&store_rate),
            fetch_mib_s: summary(&fetch_rate),
            store_peak_rss_mib: summary(&store_rss),
            fetch_peak_rss_mib: summary(&fetch_rss),
        });
    }
    print_table(&results, &store);
    write_json(
        &args.output,
        &serde_json::json!({"store": store.location(), "results": results}),
    )?;
    Ok(())
}

/// Writes `len` random bytes to `path`, 1 MiB at a time.
fn write_random(path: &Path, len: u64) -> Result<PathBuf> {
    let mut file = std::io::BufWriter::new(std::fs::File::create(path)?);
    let mut piece = vec![0u8; 1 << 20];
    let mut left = len;
    while left > 0 {
        OsRng.fill_bytes(&mut piece);
        let n = left.min(piece.len() as u64) as usize;
        file.write_all(&piece[..n])?;
        left -= n as u64;
    }
    file.flush()?;
    Ok(path.to_owned())
}

/// Prints the results as a Markdown table (min / median / max).
fn print_table(results: &[SizeResult], store: &BlockStore) {
    let mmm = |s: &Summary| format!("{:.1} / {:.1} / {:.1}", s.min, s.p50, s.max);
    let mut table = Table::new(&[
        "size",
        "encrypt + store MiB/s",
        "fetch + verify + decrypt MiB/s",
        "peak RSS store MiB",
        "peak RSS fetch MiB",
    ]);
    for r in results {
        table.row(vec![
            format!("{} MiB", r.size_mib),
            mmm(&r.store_mib_s),
            mmm(&r.fetch_mib_s),
            mmm(&r.store_peak_rss_mib),
            mmm(&r.fetch_peak_rss_mib),
        ]);
    }
    println!(
        "block store: {} (min / median / max)\n\n{}",
        store.location(),
        table.render()
    );
}
