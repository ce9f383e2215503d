//! `quell serve`: the registry over HTTP, on SQLite in a data directory or on PostgreSQL.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;
use quell_server::{AppState, ClientAddress, Config, Rate};
use quell_store::{AnyStore, Location};

/// Where the registry's database is; shared by every command that opens it.
#[derive(clap::Args, Clone)]
pub(crate) struct StoreArgs {
    /// Directory for the SQLite database (`registry.db`): `serve`, `member add` and `list import`
    /// create it if missing; the commands that read or change a registry need it to exist.
    #[arg(long, default_value = "quell-data", value_name = "DIR")]
    pub(crate) data_dir: PathBuf,
    /// Use PostgreSQL instead of SQLite, e.g. `postgres://user@host/db`.
    #[arg(long, value_name = "URL")]
    pub(crate) database_url: Option<String>,
}

impl std::fmt::Debug for StoreArgs {
    /// A database URL can hold a password, so it is never printed.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoreArgs")
            .field("data_dir", &self.data_dir)
            .field(
                "database_url",
                &self.database_url.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

impl StoreArgs {
    /// Opens the registry, creating it if needed: for `serve`, `member add` and
    /// `list import`, the commands that set a registry up.
    pub(crate) async fn open(&self) -> anyhow::Result<AnyStore> {
        let location = self.location()?;
        let store = AnyStore::open(&location).await;
        store.with_context(|| Self::opening(&location))
    }

    /// Opens the registry only if it exists: for every command that reads or changes one, so
    /// a mistyped `--data-dir` is an error rather than a new, empty registry.
    pub(crate) async fn open_existing(&self) -> anyhow::Result<AnyStore> {
        let location = self.location()?;
        let store = AnyStore::open_existing(&location).await;
        store.with_context(|| Self::opening(&location))
    }

    fn location(&self) -> anyhow::Result<Location> {
        Ok(Location::parse(
            self.database_url.as_deref(),
            &self.data_dir,
        )?)
    }

    fn opening(location: &Location) -> String {
        match location {
            Location::DataDir(dir) => format!("opening the registry in {}", dir.display()),
            Location::Postgres(_) => "opening the registry on PostgreSQL".to_owned(),
        }
    }
}

/// Builds the runtime the async commands run on.
pub(crate) fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
}

#[derive(clap::Args, Debug)]
pub(crate) struct ServeArgs {
    #[command(flatten)]
    store: StoreArgs,
    /// Address to listen on (port 0 picks a free port; the address is printed).
    #[arg(long, default_value = "127.0.0.1:8080", value_name = "ADDR")]
    listen: SocketAddr,
    /// Log format on stderr.
    #[arg(long, value_enum, default_value_t = LogFormat::Json)]
    log_format: LogFormat,
    #[command(flatten)]
    limits: LimitArgs,
    /// Distinct members whose `false_positive` reports on an entry quarantine it until an
    /// operator reviews it (`quell quarantine list`).
    #[arg(long, value_name = "MEMBERS", default_value_t = Config::default().quarantine_after_false_positives,
          value_parser = clap::value_parser!(u32).range(1..))]
    quarantine_after: u32,
    /// A JSON file saying who runs this registry, where a person can get help (by country,
    /// and for under-18s), which platforms take part and the hours they are expected to act
    /// in (`action_target_hours`, 48 if not given): served at `GET /v1/registry` and shown on
    /// the page. See docs/operator.md.
    #[arg(long, value_name = "FILE")]
    about: Option<PathBuf>,
    #[command(flatten)]
    matcher: crate::matcher_cmd::MatcherArgs,
}

/// Reads and checks `--about`.
fn read_about(path: &Path) -> anyhow::Result<quell_api::RegistryAbout> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the --about file {}", path.display()))?;
    let about: quell_api::RegistryAbout = serde_json::from_str(&text)
        .with_context(|| format!("the --about file {} is not valid", path.display()))?;
    about
        .validate()
        .map_err(|e| anyhow::anyhow!("the --about file {}: {e}", path.display()))?;
    Ok(about)
}

/// Rate limits: opening cases, per client address; wrong secrets, per credential.
#[derive(clap::Args, Debug)]
struct LimitArgs {
    /// Cases one client address may open: `COUNT/PERIOD` (PERIOD like `h`, `10m`, `30s`,
    /// `1d`), or `off`.
    #[arg(long, default_value = "10/h", value_name = "RATE", value_parser = parse_rate)]
    case_open_limit: RateArg,
    /// Wrong secrets given for one API key or one case before further wrong ones are answered
    /// 429 instead of 401 (the right secret is always accepted; nothing counts per address):
    /// `COUNT/PERIOD`, or `off`.
    #[arg(long, default_value = "20/10m", value_name = "RATE", value_parser = parse_rate)]
    auth_failure_limit: RateArg,
    /// Behind a reverse proxy: the header it appends the client's address to (e.g.
    /// `x-forwarded-for`); its rightmost address is the client. Without it, the TCP peer is.
    #[arg(long, value_name = "HEADER")]
    client_ip_header: Option<quell_server::HeaderName>,
}

/// A rate flag's value: `None` is `off`.
#[derive(Clone, Copy, Debug)]
struct RateArg(Option<Rate>);

fn parse_rate(s: &str) -> Result<RateArg, String> {
    if s == "off" {
        return Ok(RateArg(None));
    }
    let bad = || format!("{s:?} is not a rate: write COUNT/PERIOD, e.g. 10/h or 20/10m, or off");
    let (count, period) = s.split_once('/').ok_or_else(bad)?;
    let count: u32 = count.parse().map_err(|_| bad())?;
    let digits = period.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    let unit = match &period[digits.len()..] {
        "s" => 1,
        "m" | "min" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return Err(bad()),
    };
    let n: u64 = if digits.is_empty() {
        1
    } else {
        digits.parse().map_err(|_| bad())?
    };
    if count == 0 || n == 0 {
        return Err(format!(
            "{s:?}: the count and the period must be above zero (or use off)"
        ));
    }
    Ok(RateArg(Some(Rate::per(
        count,
        Duration::from_secs(n * unit),
    ))))
}

#[derive(clap::ValueEnum, Clone, Copy, Debug)]
enum LogFormat {
    /// One JSON object per line (for log collectors).
    Json,
    /// Human-readable lines.
    Text,
}

pub(crate) fn run(args: &ServeArgs) -> anyhow::Result<ExitCode> {
    args.matcher.refuse_without_matcher()?;
    init_logging(args.log_format);
    if args.matcher.matcher {
        runtime()?.block_on(crate::matcher_cmd::serve(&args.matcher, args.listen))?;
    } else {
        runtime()?.block_on(serve(args))?;
    }
    Ok(ExitCode::SUCCESS)
}

fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("QUELL_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Text => builder.init(),
    }
}

async fn serve(args: &ServeArgs) -> anyhow::Result<()> {
    let about = args.about.as_deref().map(read_about).transpose()?;
    let store = args.store.open().await?;
    let config = Config {
        case_open_rate: args.limits.case_open_limit.0,
        auth_failure_rate: args.limits.auth_failure_limit.0,
        quarantine_after_false_positives: args.quarantine_after,
        client_address: args
            .limits
            .client_ip_header
            .clone()
            .map_or(ClientAddress::Peer, ClientAddress::Header),
        about: about.unwrap_or_default(),
        ..Config::default()
    };
    let state = AppState::new(store.clone(), config)
        .await
        .context("loading the match index")?;
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("listening on {}", args.listen))?;
    let addr = listener.local_addr().context("reading the bound address")?;
    tracing::info!(%addr, entries = state.indexed_entries(), "quell registry listening");
    // A plain line on stdout too, for scripts and tests that start the server on port 0.
    println!("quell: listening on http://{addr}");
    quell_server::serve(listener, state, shutdown_signal())
        .await
        .context("serving HTTP")?;
    tracing::info!("shutting down");
    store.close().await;
    Ok(())
}

/// Resolves on Ctrl-C or SIGTERM: in-flight requests finish, new connections are refused.
pub(crate) async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser as _;

    #[derive(clap::Parser)]
    struct Wrapper {
        #[command(flatten)]
        serve: ServeArgs,
    }

    #[test]
    fn serve_defaults_to_sqlite_in_quell_data_on_loopback_8080() {
        let args = Wrapper::parse_from(["quell"]).serve;
        assert_eq!(args.listen, "127.0.0.1:8080".parse().unwrap());
        assert_eq!(args.store.data_dir, PathBuf::from("quell-data"));
        assert_eq!(args.store.database_url, None);
        assert_eq!(
            args.limits.case_open_limit.0,
            Some(Rate::per(10, Duration::from_secs(3600)))
        );
        assert!(args.limits.client_ip_header.is_none());
    }

    #[test]
    fn rates_are_count_per_period_or_off() {
        let rate = |s: &str| parse_rate(s).map(|r| r.0);
        assert_eq!(rate("off"), Ok(None));
        assert_eq!(
            rate("10/h"),
            Ok(Some(Rate::per(10, Duration::from_secs(3600))))
        );
        assert_eq!(
            rate("20/10m"),
            Ok(Some(Rate::per(20, Duration::from_secs(600))))
        );
        assert_eq!(
            rate("5/30s"),
            Ok(Some(Rate::per(5, Duration::from_secs(30))))
        );
        for bad in [
            "", "10", "10/", "10/y", "x/h", "0/h", "10/0m", "-1/h", "10/h/2",
        ] {
            assert!(rate(bad).is_err(), "{bad:?}");
        }
    }
}
