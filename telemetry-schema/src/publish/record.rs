//! The record of every version the generator wrote, as the catalogue keeps it: read back, it is
//! how published versions, their amendments and classifications, and their definitions' names
//! in the stream schema are remembered.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::model::amendment::{Amendment, AmendmentKind};
use crate::model::fields::{self, Classifications};

/// `(eventType, version)`.
pub(crate) type Key = (String, u32);

/// One version as the record lists it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Recorded {
    /// Whether it was unreleased when last written.
    pub(crate) unreleased: bool,
    /// Changes made to it since it was published.
    pub(crate) amendments: Vec<Amendment>,
    /// Its definitions' names in the stream schema.
    pub(crate) definition_names: BTreeMap<String, String>,
    /// The class and purpose of each of its fields, when it was last written.
    pub(crate) classifications: Classifications,
}

/// The versions a catalogue records.
///
/// # Errors
///
/// When the text is not a catalogue.
pub(crate) fn parse(text: &str) -> Result<BTreeMap<Key, Recorded>, String> {
    let catalogue: Value = serde_json::from_str(text).map_err(|error| error.to_string())?;
    let events = catalogue
        .get("events")
        .and_then(Value::as_array)
        .ok_or("no `events` array")?;
    let mut recorded = BTreeMap::new();
    for event in events {
        let event_type = event
            .get("eventType")
            .and_then(Value::as_str)
            .ok_or("an event without `eventType`")?;
        let version = event
            .get("schemaVersion")
            .and_then(Value::as_u64)
            .and_then(|version| u32::try_from(version).ok())
            .ok_or("an event without `schemaVersion`")?;
        let unreleased = event
            .get("unreleased")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let mut amendments = Vec::new();
        for amendment in event
            .get("amendments")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let kind = amendment
                .get("kind")
                .and_then(Value::as_str)
                .and_then(AmendmentKind::from_name)
                .ok_or("an amendment of unknown kind")?;
            let changes = amendment
                .get("changes")
                .and_then(Value::as_array)
                .map(|changes| {
                    changes
                        .iter()
                        .filter_map(Value::as_str)
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default();
            let reason = amendment
                .get("reason")
                .and_then(Value::as_str)
                .map(str::to_owned);
            amendments.push(Amendment {
                kind,
                changes,
                reason,
            });
        }
        let definition_names = event
            .get("streamDefinitions")
            .and_then(Value::as_object)
            .map(|names| {
                names
                    .iter()
                    .filter_map(|(local, global)| {
                        Some((local.clone(), global.as_str()?.to_owned()))
                    })
                    .collect()
            })
            .unwrap_or_default();
        let classifications = fields::parse_entries(
            event
                .get("fields")
                .and_then(Value::as_array)
                .map(Vec::as_slice)
                .unwrap_or_default(),
        )?;
        recorded.insert(
            (event_type.to_owned(), version),
            Recorded {
                unreleased,
                amendments,
                definition_names,
                classifications,
            },
        );
    }
    Ok(recorded)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde_json::json;

    use super::parse as parse_record;
    use crate::model::amendment::{Amendment, AmendmentKind};
    use crate::model::version::EventVersion;
    use crate::render::catalogue::render;

    #[test]
    fn the_record_reads_back_what_was_rendered() {
        let version = |event_type: &str, version, unreleased, amendments| EventVersion {
            definition_names: BTreeMap::new(),
            event_type: event_type.into(),
            version,
            unreleased,
            schema: json!({}),
            examples: Vec::new(),
            rust_path: Some("crate::Event".into()),
            published_schema_file: None,
            published_examples_file: None,
            amendments,
            classifications: crate::model::fields::Classifications::new(),
        };
        let amended = vec![Amendment {
            kind: AmendmentKind::Descriptions,
            changes: vec!["`eventData.a`: description changed (compatible)".into()],
            reason: None,
        }];
        let names = BTreeMap::from([("Deployed".to_owned(), "DeployedV1Data".to_owned())]);
        let rendered = render(
            &[
                version("Deployed", 1, false, amended.clone()),
                version("Deployed", 2, true, Vec::new()),
            ],
            &[names.clone(), BTreeMap::new()],
            &crate::config::Config::new("acme", "ACME"),
        );
        let record = parse_record(&rendered).unwrap();
        assert_eq!(record.len(), 2);
        let first = &record[&("Deployed".to_owned(), 1)];
        assert!(!first.unreleased);
        assert_eq!(first.amendments, amended);
        assert_eq!(first.definition_names, names);
        assert!(record[&("Deployed".to_owned(), 2)].unreleased);
        assert!(rendered.contains("\"schema\": \"schemas/events/Deployed.v1.schema.json\""));
        assert!(parse_record("{}").is_err());
    }
}
