//! Token buckets: per client address on opening a case (the one thing anyone can do without a
//! credential that costs the registry storage), and per credential on wrong secrets (see
//! [`crate::auth`]).
//!
//! **Key decision: count case opens by client address, in a middleware.** Opening a case takes
//! a token before the handler runs. The client is the TCP peer (an IPv6 address counts by its
//! /64, which one host usually owns), or, behind a reverse proxy, the rightmost address of a
//! header the operator names (the one the proxy appended; anything left of it is the client's
//! to forge). Many people behind one address (a shelter's Wi-Fi) share its bucket, so the
//! default is generous and the operator can change it or turn it off.
//!
//! Buckets live in memory, per process, bounded: when the table is full, buckets that have
//! refilled are dropped; if none can be, a new key is refused rather than the table grown.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderName, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use quell_api::ErrorCode;

use crate::AppState;
use crate::error::ApiError;

/// A token bucket's shape: up to `burst` at once, one more every `every`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rate {
    /// Requests allowed at once from a rested client.
    pub burst: u32,
    /// Time for one token to come back.
    pub every: Duration,
}

impl Rate {
    /// `count` requests per `period`, all of them allowed at once.
    pub fn per(count: u32, period: Duration) -> Self {
        Self {
            burst: count,
            every: period / count.max(1),
        }
    }
}

/// Most keys tracked by one limiter (a bucket is a few dozen bytes).
const MAX_KEYS: usize = 100_000;

#[derive(Debug)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

/// Token buckets by key (a client address, a credential).
#[derive(Debug)]
pub(crate) struct Limiter<K> {
    rate: Rate,
    buckets: Mutex<HashMap<K, Bucket>>,
}

impl<K: Hash + Eq> Limiter<K> {
    pub(crate) fn new(rate: Rate) -> Self {
        Self {
            rate,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    fn refilled(&self, bucket: &Bucket, now: Instant) -> f64 {
        let gained = now.duration_since(bucket.at).as_secs_f64() / self.rate.every.as_secs_f64();
        (bucket.tokens + gained).min(f64::from(self.rate.burst))
    }

    /// Takes a token for `key`, or says how long it must wait for one.
    pub(crate) fn take(&self, key: K) -> Option<Duration> {
        let now = Instant::now();
        let mut buckets = self.buckets.lock().unwrap_or_else(PoisonError::into_inner);
        if !buckets.contains_key(&key) && buckets.len() >= MAX_KEYS {
            let burst = f64::from(self.rate.burst);
            buckets.retain(|_, b| self.refilled(b, now) < burst);
            if buckets.len() >= MAX_KEYS {
                return Some(self.rate.every);
            }
        }
        let bucket = buckets.entry(key).or_insert(Bucket {
            tokens: f64::from(self.rate.burst),
            at: now,
        });
        let tokens = self.refilled(bucket, now);
        if tokens < 1.0 {
            return Some(self.rate.every.mul_f64(1.0 - tokens));
        }
        *bucket = Bucket {
            tokens: tokens - 1.0,
            at: now,
        };
        None
    }
}

/// Where the client's address comes from.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum ClientAddress {
    /// The TCP peer (no reverse proxy in front).
    #[default]
    Peer,
    /// The rightmost address in this header (e.g. `x-forwarded-for`), which the operator's
    /// reverse proxy appends; the peer is used when it is missing or malformed.
    Header(HeaderName),
}

/// The client a request counts against, or `None` when it has no address at all (a router
/// driven without a listener, as tests do; `quell serve` always supplies the peer).
fn client(request: &Request, source: &ClientAddress) -> Option<IpAddr> {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    let ip = match source {
        ClientAddress::Peer => peer,
        ClientAddress::Header(name) => request
            .headers()
            .get_all(name)
            .iter()
            .next_back()
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.rsplit(',').next())
            .and_then(|v| v.trim().parse::<IpAddr>().ok())
            .or(peer),
    }?;
    Some(match ip {
        IpAddr::V6(v6) if v6.to_ipv4_mapped().is_none() => {
            let s = v6.segments();
            IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
        }
        IpAddr::V6(v6) => IpAddr::V4(v6.to_ipv4_mapped().expect("checked")),
        v4 => v4,
    })
}

/// A `429` saying what was refused and when to try again, with `Retry-After`.
pub(crate) fn too_many(wait: Duration, what: &str) -> ApiError {
    let seconds = wait.as_secs().max(1);
    ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        ErrorCode::RateLimited,
        format!("{what}; try again in {seconds} s"),
    )
    .retry_after(seconds)
}

/// The middleware: see the module docs.
pub(crate) async fn guard(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let inner = &state.0;
    if request.method() == Method::POST
        && request.uri().path() == "/v1/cases"
        && let Some(limiter) = &inner.case_opens
        && let Some(client) = client(&request, &inner.config.client_address)
        && let Some(wait) = limiter.take(client)
    {
        metrics::counter!("quell_rate_limited_total", "limit" => "case_open").increment(1);
        return too_many(wait, "many cases were opened from this network").into_response();
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_allows_its_burst_then_refills_one_token_per_period() {
        let limiter = Limiter::new(Rate {
            burst: 3,
            every: Duration::from_millis(40),
        });
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        for _ in 0..3 {
            assert_eq!(limiter.take(a), None);
        }
        let wait = limiter.take(a).expect("the burst is spent");
        assert!(wait <= Duration::from_millis(40), "{wait:?}");
        // Another key has its own bucket.
        assert_eq!(limiter.take(b), None);
        std::thread::sleep(Duration::from_millis(60));
        assert_eq!(limiter.take(a), None);
        assert!(limiter.take(a).is_some());
    }

    #[test]
    fn ipv6_clients_count_by_their_64_and_mapped_ipv4_as_ipv4() {
        let request = |peer: &str, forwarded: Option<&str>| {
            let mut r = Request::new(axum::body::Body::empty());
            r.extensions_mut()
                .insert(ConnectInfo(peer.parse::<SocketAddr>().unwrap()));
            if let Some(f) = forwarded {
                r.headers_mut()
                    .insert("x-forwarded-for", f.parse().unwrap());
            }
            r
        };
        let peer = ClientAddress::Peer;
        assert_eq!(
            client(&request("[2001:db8:1:2:aaaa::1]:9", None), &peer),
            Some("2001:db8:1:2::".parse().unwrap())
        );
        assert_eq!(
            client(&request("[::ffff:192.0.2.7]:9", None), &peer),
            Some("192.0.2.7".parse().unwrap())
        );
        let header = ClientAddress::Header(HeaderName::from_static("x-forwarded-for"));
        // The rightmost entry is the one the proxy appended; the rest can be forged.
        assert_eq!(
            client(
                &request("127.0.0.1:9", Some("203.0.113.5, 198.51.100.4")),
                &header
            ),
            Some("198.51.100.4".parse().unwrap())
        );
        assert_eq!(
            client(&request("127.0.0.1:9", Some("garbage")), &header),
            Some("127.0.0.1".parse().unwrap())
        );
        assert_eq!(
            client(&Request::new(axum::body::Body::empty()), &peer),
            None
        );
    }
}
