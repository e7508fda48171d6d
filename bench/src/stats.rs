//! Summaries of timing samples: mean, median, 95th percentile.

use serde::{Deserialize, Serialize};

/// Mean, p50, p95, min and max of a set of samples (seconds).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// Number of samples.
    pub n: usize,
    /// Arithmetic mean.
    pub mean: f64,
    /// Median (nearest rank).
    pub p50: f64,
    /// 95th percentile (nearest rank).
    pub p95: f64,
    /// Smallest sample.
    pub min: f64,
    /// Largest sample.
    pub max: f64,
}

impl Summary {
    /// The summary of `samples`, or `None` when there are none.
    pub fn of(samples: &[f64]) -> Option<Self> {
        if samples.is_empty() {
            return None;
        }
        let mut sorted = samples.to_vec();
        sorted.sort_by(f64::total_cmp);
        let n = sorted.len();
        Some(Self {
            n,
            mean: sorted.iter().sum::<f64>() / n as f64,
            p50: nearest_rank(&sorted, 0.50),
            p95: nearest_rank(&sorted, 0.95),
            min: sorted[0],
            max: sorted[n - 1],
        })
    }
}

/// The nearest-rank percentile `q` (0..=1) of sorted, non-empty samples.
fn nearest_rank(sorted: &[f64], q: f64) -> f64 {
    let rank = (q * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    #[test]
    fn summary_of_one_to_twenty() {
        let samples: Vec<f64> = (1..=20).rev().map(f64::from).collect();
        let s = Summary::of(&samples).unwrap();
        assert_eq!(s.n, 20);
        assert_eq!(s.mean, 10.5);
        assert_eq!(s.p50, 10.0);
        assert_eq!(s.p95, 19.0);
        assert_eq!((s.min, s.max), (1.0, 20.0));
    }

    #[test]
    fn a_single_sample_is_every_percentile() {
        let s = Summary::of(&[0.25]).unwrap();
        assert_eq!((s.p50, s.p95, s.mean), (0.25, 0.25, 0.25));
    }

    #[test]
    fn no_samples_no_summary() {
        assert!(Summary::of(&[]).is_none());
    }
}
