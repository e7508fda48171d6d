//! The opt-in per-transaction timing event (`server::TIMING_TARGET`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::io::Write;
use std::sync::{Arc, Mutex};

use crate::common::{creator, start_with_peer};
use fabric_shim::server::TIMING_TARGET;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;

/// A log sink the test can read back.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

impl Captured {
    fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

/// Runs one 30 ms transaction with `filter` in force and returns its tx id
/// and what was logged. The runtime is single-threaded, so the scoped
/// subscriber sees the server's tasks too.
async fn run_one(filter: &str) -> (String, String) {
    let sink = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::new(filter))
        .with_writer(sink.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    // Other tests on other threads set their own scoped subscribers; a callsite
    // first hit under one of theirs may have cached their interest (off), so
    // recompute it now that ours is in force.
    tracing::callsite::rebuild_interest_cache();
    let (server, peer) = start_with_peer(100).await;
    let (alice, _) = creator("alice");
    let args: [&[u8]; 4] = [b"sleep_then_put", b"k", b"v", b"30"];
    let result = peer.invoke(&alice, &args, &BTreeMap::new()).await.unwrap();
    assert_eq!(result.response.status, 200, "{}", result.response.message);
    server.shutdown().await.unwrap();
    (result.tx_id, sink.text())
}

#[tokio::test]
async fn enabled_target_logs_each_transaction_with_its_duration() {
    let (tx_id, log) = run_one(&format!("warn,{TIMING_TARGET}=debug")).await;
    let lines: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("transaction executed"))
        .collect();
    assert_eq!(lines.len(), 1, "{log}");
    let line = lines[0];
    assert!(line.contains(&format!("tx_id={tx_id}")), "{line}");
    assert!(line.contains("ok=true"), "{line}");
    let micros: u64 = line
        .split_whitespace()
        .find_map(|f| f.strip_prefix("micros="))
        .expect("a micros field")
        .parse()
        .unwrap();
    assert!(micros >= 30_000, "the transaction slept 30 ms: {line}");
}

#[tokio::test]
async fn timing_is_off_by_default() {
    let (_, log) = run_one("info").await;
    assert!(!log.contains("transaction executed"), "{log}");
}
