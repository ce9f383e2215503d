//! Per-client rate limits on the two things anyone can do without an API key: opening a case,
//! and presenting a credential (each check costs an argon2 run).
//!
//! **Key decision: count by client address, in a middleware that sees the response.** Opening
//! a case takes a token before the handler runs. A request with an `Authorization` header is
//! refused before any argon2 work while its client's failure bucket is empty, and only a
//! `401` response takes a token, so members with valid keys are never slowed down by this.
//! The client is the TCP peer (an IPv6 address counts by its /64, which one host usually
//! owns), or, behind a reverse proxy, the rightmost address of a header the operator names
//! (the one the proxy appended; anything left of it is the client's to forge).
//!
//! Buckets live in memory, per process, bounded: when the table is full, buckets that have
//! refilled are dropped; if none can be, a new client is refused rather than the table grown.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderName, Method, StatusCode, header};
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

/// Most clients tracked by one limiter (a bucket is a few dozen bytes).
const MAX_CLIENTS: usize = 100_000;

#[derive(Debug)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

/// Token buckets by client.
#[derive(Debug)]
pub(crate) struct Limiter {
    rate: Rate,
    buckets: Mutex<HashMap<IpAddr, Bucket>>,
}

impl Limiter {
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

    /// How long `client` must wait before its next request, if it must; takes a token
    /// when `take` (and one is there).
    fn wait(&self, client: IpAddr, take: bool) -> Option<Duration> {
        let now = Instant::now();
        let mut buckets = self.buckets.lock().unwrap_or_else(PoisonError::into_inner);
        if !buckets.contains_key(&client) {
            if !take {
                return None;
            }
            if buckets.len() >= MAX_CLIENTS {
                let burst = f64::from(self.rate.burst);
                buckets.retain(|_, b| self.refilled(b, now) < burst);
                if buckets.len() >= MAX_CLIENTS {
                    return Some(self.rate.every);
                }
            }
            buckets.insert(
                client,
                Bucket {
                    tokens: f64::from(self.rate.burst),
                    at: now,
                },
            );
        }
        let bucket = buckets.get_mut(&client).expect("inserted above");
        let tokens = self.refilled(bucket, now);
        if tokens < 1.0 {
            return Some(self.rate.every.mul_f64(1.0 - tokens));
        }
        if take {
            *bucket = Bucket {
                tokens: tokens - 1.0,
                at: now,
            };
        }
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

fn too_many(wait: Duration, what: &str) -> Response {
    let seconds = wait.as_secs().max(1);
    let mut response = ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        ErrorCode::RateLimited,
        format!("{what}; try again in {seconds} s"),
    )
    .into_response();
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, seconds.into());
    response
}

/// The middleware: see the module docs.
pub(crate) async fn guard(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let inner = &state.0;
    let Some(client) = client(&request, &inner.config.client_address) else {
        return next.run(request).await;
    };
    if request.method() == Method::POST
        && request.uri().path() == "/v1/cases"
        && let Some(limiter) = &inner.case_opens
        && let Some(wait) = limiter.wait(client, true)
    {
        metrics::counter!("quell_rate_limited_total", "limit" => "case_open").increment(1);
        return too_many(wait, "too many cases were opened from this address");
    }
    let failures = inner
        .auth_failures
        .as_ref()
        .filter(|_| request.headers().contains_key(header::AUTHORIZATION));
    if let Some(limiter) = failures
        && let Some(wait) = limiter.wait(client, false)
    {
        metrics::counter!("quell_rate_limited_total", "limit" => "auth_failure").increment(1);
        return too_many(wait, "too many wrong credentials came from this address");
    }
    let response = next.run(request).await;
    if let Some(limiter) = failures
        && response.status() == StatusCode::UNAUTHORIZED
    {
        let _ = limiter.wait(client, true);
    }
    response
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
            assert_eq!(limiter.wait(a, true), None);
        }
        let wait = limiter.wait(a, true).expect("the burst is spent");
        assert!(wait <= Duration::from_millis(40), "{wait:?}");
        // Looking does not take a token, and another client has its own bucket.
        assert!(limiter.wait(a, false).is_some());
        assert_eq!(limiter.wait(b, true), None);
        std::thread::sleep(Duration::from_millis(60));
        assert_eq!(limiter.wait(a, true), None);
        assert!(limiter.wait(a, true).is_some());
    }

    #[test]
    fn looking_at_an_unknown_client_stores_nothing() {
        let limiter = Limiter::new(Rate::per(1, Duration::from_secs(60)));
        assert_eq!(limiter.wait("192.0.2.9".parse().unwrap(), false), None);
        assert!(limiter.buckets.lock().unwrap().is_empty());
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
