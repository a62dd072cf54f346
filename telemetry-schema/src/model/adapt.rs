//! What makes an event's envelope schema one program's: its variables' names in the envelope's
//! descriptions, `attributes.groupChannel` only where the program sends it, and the schema in
//! standard keywords with its `$id`.

use serde_json::Value;

use super::standard::standardise;
use crate::config::Config;

/// Makes an event's envelope schema `config`'s program's: its variables' names in the envelope's
/// descriptions; without a group-channel variable, no `attributes.groupChannel` (the
/// program never sends it); and the schema [standardised](super::standard) with its `$id`.
pub(crate) fn adapt_schema(config: &Config, schema: &mut Value, event_type: &str, version: u32) {
    if let Some(pointer) = schema
        .pointer("/properties/attributes/$ref")
        .and_then(Value::as_str)
        .and_then(|reference| reference.strip_prefix('#'))
        .map(str::to_owned)
        && let Some(attributes) = schema.pointer_mut(&pointer)
    {
        adapt_attributes(config, attributes);
    }
    standardise(schema, &config.event_schema_id(event_type, version));
}

fn adapt_attributes(config: &Config, attributes: &mut Value) {
    if config.group_channel_variable().is_none() {
        if let Some(properties) = attributes
            .get_mut("properties")
            .and_then(Value::as_object_mut)
        {
            properties.remove("groupChannel");
        }
        if let Some(required) = attributes.get_mut("required").and_then(Value::as_array_mut) {
            required.retain(|key| key != "groupChannel");
        }
    }
    let group_channel = config
        .group_channel_variable()
        .map_or("", |variable| variable.name);
    let properties = attributes
        .get_mut("properties")
        .and_then(Value::as_object_mut)
        .into_iter()
        .flat_map(|properties| properties.values_mut());
    for property in properties {
        if let Some(Value::String(description)) = property.get_mut("description") {
            *description = description
                .replace("{PREFIX}", config.env_prefix())
                .replace("{GROUP_CHANNEL}", group_channel);
        }
    }
}
