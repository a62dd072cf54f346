//! A `Hashed` field may leave out its class: what is sent is pseudonymized whatever it was.

use telemetry_core::classify::{DataClass, Purpose};
use telemetry_core::{Envelope, Hashed, TelemetryEvent};

/// A plugin was loaded.
#[derive(serde::Serialize, schemars::JsonSchema, TelemetryEvent)]
#[serde(rename_all = "kebab-case")]
#[telemetry(version = 1, example = example)]
pub struct PluginLoaded {
    /// The plugin, hashed.
    #[telemetry(purpose = feature_insight)]
    pub plugin_name: Hashed<String>,
    /// The plugin's author, hashed; what it was is said.
    #[telemetry(class = customer_content, purpose = business_insight)]
    #[serde(rename = "by")]
    pub author: Option<Hashed<String>>,
    /// Never sent.
    #[serde(skip)]
    pub secret: String,
}

fn example() -> Envelope<PluginLoaded> {
    let event = PluginLoaded {
        plugin_name: Hashed::new("mine".into()),
        author: None,
        secret: String::new(),
    };
    Envelope::example("acme run", event)
}

fn main() {
    let [name, author] = PluginLoaded::FIELDS else {
        panic!("two fields are sent");
    };
    assert_eq!(name.key, Some("plugin-name"));
    assert!(name.hashed);
    assert_eq!(name.class, DataClass::EndUserPseudonymized);
    assert_eq!(author.key, Some("by"));
    assert!(author.hashed);
    assert_eq!(author.class, DataClass::CustomerContent);
    assert_eq!(author.sent_class(), DataClass::EndUserPseudonymized);
    assert_eq!(author.purpose, Purpose::BusinessInsight);
}
