//! How the member-side commands reach the registry: its URL and the member's API key.

use std::path::PathBuf;

use anyhow::{Context as _, bail};
use quell_sync::RegistryClient;

/// `--registry` and the member API key (`--api-key`, `--api-key-file` or `QUELL_API_KEY`).
#[derive(clap::Args, Clone)]
pub(crate) struct RegistryArgs {
    /// The registry's base URL, e.g. `https://registry.example`.
    #[arg(long, value_name = "URL")]
    pub(crate) registry: Option<String>,
    /// The member API key (`qk_…`). Prefer `--api-key-file` or `QUELL_API_KEY`: command
    /// lines are visible to other users of the machine.
    #[arg(long, value_name = "KEY")]
    api_key: Option<String>,
    /// A file holding the member API key.
    #[arg(long, value_name = "FILE", conflicts_with = "api_key")]
    api_key_file: Option<PathBuf>,
}

impl std::fmt::Debug for RegistryArgs {
    /// The key is never printed.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegistryArgs")
            .field("registry", &self.registry)
            .finish_non_exhaustive()
    }
}

impl RegistryArgs {
    /// The client, or an error saying which argument is missing.
    pub(crate) fn client(&self) -> anyhow::Result<RegistryClient> {
        let Some(url) = &self.registry else {
            bail!("--registry URL is required");
        };
        let key = match (&self.api_key, &self.api_key_file) {
            (Some(k), _) => k.clone(),
            (None, Some(path)) => std::fs::read_to_string(path)
                .with_context(|| format!("reading the API key from {}", path.display()))?,
            (None, None) => std::env::var("QUELL_API_KEY").map_err(|_| {
                anyhow::anyhow!(
                    "a member API key is required: --api-key-file, --api-key or QUELL_API_KEY"
                )
            })?,
        };
        if key.trim().is_empty() {
            bail!("the member API key is empty");
        }
        Ok(RegistryClient::new(url, &key))
    }
}
