//! Request rate limits shared by every thread of a run (the parallel workers of `-r`/`--all`
//! all talk to the same key service): one token bucket per service, on top of each request's
//! own retries. A throttling answer halves the service's rate, each success adds a little back
//! (AIMD), so a run settles below the quota instead of failing files.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// AWS KMS' shared quota of cryptographic requests per second (symmetric keys, the smallest
/// regional value).
pub const KMS_DEFAULT_RATE: f64 = 5500.0;
/// Requests per second to one host of the other services (GCP Cloud KMS allows 1,000 per
/// second per project; Vault and Azure Key Vault are below or around it).
pub const HTTP_DEFAULT_RATE: f64 = 1000.0;
/// The rate never drops below this many requests per second.
const MIN_RATE: f64 = 1.0;

/// One service's token bucket.
#[derive(Debug)]
pub struct Limiter {
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    /// Requests per second allowed now.
    rate: f64,
    /// The configured rate: additive increase stops there.
    max_rate: f64,
    /// Tokens available (may go negative: requests queued behind the ones waiting).
    tokens: f64,
    last: Instant,
}

impl Limiter {
    /// A bucket of `rate` requests per second, holding at most one second's worth.
    pub fn new(rate: f64, now: Instant) -> Limiter {
        let rate = rate.max(MIN_RATE);
        Limiter {
            state: Mutex::new(State {
                rate,
                max_rate: rate,
                tokens: rate,
                last: now,
            }),
        }
    }

    /// Takes a token and returns how long to wait before sending (zero when one is free).
    pub fn reserve(&self, now: Instant) -> Duration {
        let Ok(mut s) = self.state.lock() else {
            return Duration::ZERO;
        };
        let elapsed = now.saturating_duration_since(s.last).as_secs_f64();
        s.last = s.last.max(now);
        s.tokens = (s.tokens + elapsed * s.rate).min(s.rate);
        s.tokens -= 1.0;
        if s.tokens >= 0.0 {
            Duration::ZERO
        } else {
            Duration::from_secs_f64(-s.tokens / s.rate)
        }
    }

    /// Waits (this thread) for a token.
    pub fn acquire(&self) {
        let wait = self.reserve(Instant::now());
        if !wait.is_zero() {
            std::thread::sleep(wait);
        }
    }

    /// The service said "too many requests": halve the rate.
    pub fn throttled(&self) {
        if let Ok(mut s) = self.state.lock() {
            s.rate = (s.rate / 2.0).max(MIN_RATE);
            s.tokens = s.tokens.min(s.rate);
        }
    }

    /// A request went through: win back a twentieth of the configured rate.
    pub fn succeeded(&self) {
        if let Ok(mut s) = self.state.lock() {
            s.rate = (s.rate + s.max_rate / 20.0).min(s.max_rate);
        }
    }

    /// The rate allowed now, in requests per second.
    #[cfg(test)]
    pub fn rate(&self) -> f64 {
        self.state.lock().map(|s| s.rate).unwrap_or(0.0)
    }
}

/// The limiter of `service` (e.g. `kms:eu-west-1`, or a host name), created on first use with
/// the rate of the environment variable `var` (requests per second), else `default`.
pub fn for_service(service: &str, var: &str, default: f64) -> &'static Limiter {
    static ALL: OnceLock<Mutex<HashMap<String, &'static Limiter>>> = OnceLock::new();
    let all = ALL.get_or_init(Default::default);
    let mut all = all.lock().unwrap_or_else(|e| e.into_inner());
    all.entry(service.to_string()).or_insert_with(|| {
        let rate = std::env::var(var)
            .ok()
            .and_then(|v| v.trim().parse::<f64>().ok())
            .filter(|r| r.is_finite() && *r > 0.0)
            .unwrap_or(default);
        // Leaked on purpose: one per service for the life of the process.
        Box::leak(Box::new(Limiter::new(rate, Instant::now())))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_allows_a_burst_then_spaces_requests() {
        let t0 = Instant::now();
        let l = Limiter::new(10.0, t0);
        for _ in 0..10 {
            assert_eq!(l.reserve(t0), Duration::ZERO);
        }
        // The 11th and 12th wait one and two tenths of a second.
        assert_eq!(l.reserve(t0), Duration::from_millis(100));
        assert_eq!(l.reserve(t0), Duration::from_millis(200));
        // A second later the bucket has refilled the debt and more (capped at 10).
        let t1 = t0 + Duration::from_secs(2);
        for _ in 0..10 {
            assert_eq!(l.reserve(t1), Duration::ZERO);
        }
        assert!(l.reserve(t1) > Duration::ZERO);
    }

    #[test]
    fn throttling_halves_and_success_wins_back() {
        let l = Limiter::new(100.0, Instant::now());
        l.throttled();
        l.throttled();
        assert_eq!(l.rate(), 25.0);
        l.succeeded();
        assert_eq!(l.rate(), 30.0);
        for _ in 0..100 {
            l.succeeded();
        }
        assert_eq!(l.rate(), 100.0);
        for _ in 0..100 {
            l.throttled();
        }
        assert_eq!(l.rate(), MIN_RATE);
    }

    #[test]
    fn services_share_one_limiter_each() {
        let a = for_service("test-a", "SECRET_TEST_UNSET_RATE", 7.0);
        let b = for_service("test-a", "SECRET_TEST_UNSET_RATE", 9.0);
        assert!(std::ptr::eq(a, b));
        assert_eq!(a.rate(), 7.0);
        let c = for_service("test-b", "SECRET_TEST_UNSET_RATE", 9.0);
        assert_eq!(c.rate(), 9.0);
    }
}
