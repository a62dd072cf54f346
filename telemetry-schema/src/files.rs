//! Every generated file, by path: a pure function of the event versions and the [`Config`],
//! which calls each renderer. Paths are relative to the output directory
//! ([`Config::out_dir`]), `/`-separated; they are defined in one leaf module, re-exported here.

use std::collections::BTreeMap;

use crate::config::Config;
use crate::model::version::EventVersion;
pub use crate::paths::{
    CATALOGUE, CLICKHOUSE, DOCS, EVENT_SCHEMAS, EXAMPLES, LOG_LINE_SCHEMA, STREAM_SCHEMA,
    event_schema_path, examples_path,
};
pub use crate::render::event_files::{render_event_schema, render_examples};
use crate::render::{catalogue, clickhouse, docs, log_line, stream};

/// Every generated file: paths mapped to contents. Output is deterministic: sorted keys, `\n`
/// line ends, a final newline. Published files are kept byte for byte.
pub fn generate(versions: &[EventVersion], config: &Config) -> BTreeMap<String, String> {
    let mut files = BTreeMap::new();
    for version in versions {
        let schema = version
            .published_schema_file
            .clone()
            .unwrap_or_else(|| render_event_schema(&version.schema, version.unreleased));
        let examples = version
            .published_examples_file
            .clone()
            .unwrap_or_else(|| render_examples(&version.examples));
        files.insert(
            event_schema_path(&version.event_type, version.version),
            schema,
        );
        files.insert(
            examples_path(&version.event_type, version.version),
            examples,
        );
    }
    let names = stream::definition_names(versions);
    files.insert(
        STREAM_SCHEMA.to_owned(),
        stream::file(versions, &names, config),
    );
    files.insert(
        CATALOGUE.to_owned(),
        catalogue::render(versions, &names, config),
    );
    files.insert(LOG_LINE_SCHEMA.to_owned(), log_line::file(config));
    files.insert(DOCS.to_owned(), docs::render(versions, config));
    if config.writes_clickhouse() {
        files.insert(CLICKHOUSE.to_owned(), clickhouse::render(versions, config));
    }
    files
}
