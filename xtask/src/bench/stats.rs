//! The statistics the report gives: medians and percentiles of durations, in milliseconds, and
//! medians of ratios.

use std::time::Duration;

pub(super) fn millis(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

pub(super) fn median(samples: &mut [Duration]) -> Duration {
    percentile(samples, 50)
}

pub(super) fn percentile(samples: &mut [Duration], percent: usize) -> Duration {
    if samples.is_empty() {
        return Duration::ZERO;
    }
    samples.sort_unstable();
    let index = ((samples.len() * percent).div_ceil(100)).clamp(1, samples.len()) - 1;
    samples[index]
}

/// The median of ratios (0 with none: a run that measured none, or an older run's record).
pub(super) fn median_of(samples: &mut [f64]) -> f64 {
    if samples.is_empty() {
        return 0.0;
    }
    samples.sort_unstable_by(f64::total_cmp);
    samples[(samples.len().div_ceil(2)).clamp(1, samples.len()) - 1]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn a_percentile_is_the_sample_at_its_rank_rounded_up() {
        let mut samples: Vec<Duration> = (1..=100).rev().map(ms).collect();
        assert_eq!(percentile(&mut samples, 50), ms(50));
        assert_eq!(percentile(&mut samples, 99), ms(99));
        assert_eq!(percentile(&mut samples, 100), ms(100));
        assert_eq!(median(&mut [ms(3), ms(1), ms(2)]), ms(2));
        assert_eq!(median(&mut [ms(4), ms(1), ms(3), ms(2)]), ms(2));
        assert_eq!(percentile(&mut [ms(7)], 1), ms(7));
        assert_eq!(percentile(&mut [], 50), Duration::ZERO);
        assert!((millis(Duration::from_micros(1_500)) - 1.5).abs() < 1e-9);
        assert!((median_of(&mut [3.0, 1.0, 2.0]) - 2.0).abs() < 1e-9);
        assert!(median_of(&mut []).abs() < 1e-9);
    }
}
