//! `GET /v1/registry`: who runs a registry, where a person can get help, and the time member
//! platforms are expected to act in. Public; also the format of `quell serve --about FILE`.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The hours a member platform is expected to take from a case's opening to acting on a copy
/// unless the operator sets another: the US TAKE IT DOWN Act's removal deadline.
pub const DEFAULT_ACTION_TARGET_HOURS: u32 = 48;

/// Who runs this registry and where to get help. Every field may be empty: a registry says
/// only what its operator wrote.
#[derive(Serialize, Deserialize, ToSchema, Debug, Clone, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct RegistryAbout {
    /// The registry's name.
    #[serde(default)]
    pub name: String,
    /// Who runs it (an organisation).
    #[serde(default)]
    pub operator: String,
    /// How to reach the operator: an email address, a phone number or an `https://` page.
    #[serde(default)]
    pub contact: String,
    /// The privacy notice, an `https://` (or `http://`) address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub privacy_notice: Option<String>,
    /// People to talk to (helplines, support services), by country.
    #[serde(default)]
    pub help: Vec<HelpResource>,
    /// Where someone under 18 should go instead (many countries have their own services for
    /// images of minors).
    #[serde(default)]
    pub under_18: Vec<HelpResource>,
    /// The platforms that take part, as the operator names them publicly.
    #[serde(default)]
    pub platforms: Vec<String>,
    /// Hours within which member platforms are expected to act on a copy they find.
    #[serde(default = "default_action_target_hours")]
    pub action_target_hours: u32,
}

fn default_action_target_hours() -> u32 {
    DEFAULT_ACTION_TARGET_HOURS
}

impl Default for RegistryAbout {
    fn default() -> Self {
        Self {
            name: String::new(),
            operator: String::new(),
            contact: String::new(),
            privacy_notice: None,
            help: Vec::new(),
            under_18: Vec::new(),
            platforms: Vec::new(),
            action_target_hours: DEFAULT_ACTION_TARGET_HOURS,
        }
    }
}

/// A service a person can turn to.
#[derive(Serialize, Deserialize, ToSchema, Debug, Clone, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct HelpResource {
    /// Where it serves: an ISO 3166 country code (`US`, `ES`), or empty for everywhere.
    #[serde(default)]
    pub country: String,
    /// Its name.
    pub name: String,
    /// How to reach it (a phone number, a text line, an email address).
    #[serde(default)]
    pub contact: String,
    /// Its web page, an `https://` (or `http://`) address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

impl RegistryAbout {
    /// Most entries in each list, and most characters in each text.
    const MAX_ITEMS: usize = 100;
    const MAX_CHARS: usize = 500;

    /// Checks what an operator wrote: web addresses are `http(s)://` (a page must never render
    /// a `javascript:` link), texts and lists are bounded, the target is 1 hour to a year.
    ///
    /// # Errors
    /// The first problem, naming its field.
    pub fn validate(&self) -> Result<(), String> {
        let text = |field: &str, value: &str| {
            if value.chars().count() > Self::MAX_CHARS {
                Err(format!("{field} is over {} characters", Self::MAX_CHARS))
            } else {
                Ok(())
            }
        };
        let url = |field: &str, value: &str| {
            text(field, value)?;
            let lower = value.to_ascii_lowercase();
            if lower.starts_with("https://") || lower.starts_with("http://") {
                Ok(())
            } else {
                Err(format!(
                    "{field} must be an http:// or https:// address, got {value:?}"
                ))
            }
        };
        text("name", &self.name)?;
        text("operator", &self.operator)?;
        text("contact", &self.contact)?;
        if let Some(notice) = &self.privacy_notice {
            url("privacy_notice", notice)?;
        }
        for (list, items) in [("help", &self.help), ("under_18", &self.under_18)] {
            if items.len() > Self::MAX_ITEMS {
                return Err(format!("{list} has over {} entries", Self::MAX_ITEMS));
            }
            for (i, r) in items.iter().enumerate() {
                let field = |f: &str| format!("{list}[{i}].{f}");
                if r.name.trim().is_empty() {
                    return Err(format!("{} is empty", field("name")));
                }
                text(&field("name"), &r.name)?;
                text(&field("country"), &r.country)?;
                text(&field("contact"), &r.contact)?;
                if let Some(u) = &r.url {
                    url(&field("url"), u)?;
                }
            }
        }
        if self.platforms.len() > Self::MAX_ITEMS {
            return Err(format!("platforms has over {} entries", Self::MAX_ITEMS));
        }
        for (i, p) in self.platforms.iter().enumerate() {
            text(&format!("platforms[{i}]"), p)?;
        }
        if !(1..=24 * 366).contains(&self.action_target_hours) {
            return Err(format!(
                "action_target_hours must be 1 to 8784 (a year), got {}",
                self.action_target_hours
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_operators_file_is_read_strictly_and_checked() {
        let about: RegistryAbout = serde_json::from_str(
            r#"{ "name": "Example Registry", "help": [
                   { "country": "US", "name": "Example Helpline", "url": "https://help.example" } ] }"#,
        )
        .unwrap();
        assert_eq!(about.action_target_hours, 48);
        assert_eq!(about.validate(), Ok(()));
        assert!(serde_json::from_str::<RegistryAbout>(r#"{ "nmae": "typo" }"#).is_err());
        let mut bad = about.clone();
        bad.help[0].url = Some("javascript:alert(1)".into());
        assert!(bad.validate().unwrap_err().contains("help[0].url"));
        let mut bad = about;
        bad.action_target_hours = 0;
        assert!(bad.validate().unwrap_err().contains("action_target_hours"));
        assert_eq!(RegistryAbout::default().validate(), Ok(()));
    }
}
