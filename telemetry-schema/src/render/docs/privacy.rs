//! What the docs say about privacy, generated from the fields' classes so that it can claim no
//! more than the fields allow: the opening statement, and the privacy section that lists what
//! could identify someone, what is free text and how each pseudonymous identifier is derived.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde_json::Value;
use telemetry_core::classify::{DataClass, envelope_field};
use telemetry_core::environment;

use crate::config::Config;
use crate::model::fields::Classification;
use crate::model::key_order::KeyOrder;
use crate::model::schema::resolve;
use crate::model::version::EventVersion;
use crate::model::walk::walk;

/// One field the program sends, in whichever events carry it.
struct Sent {
    classification: Classification,
    /// The events that carry it; empty for the envelope's fields, which every event carries.
    events: Vec<String>,
    description: String,
    free_text: bool,
}

/// Every field the code sends, by path: the envelope's, and each event's own keys (a
/// classification covers a key's subtree, so nested paths add nothing).
fn sent_fields(versions: &[EventVersion]) -> BTreeMap<String, Sent> {
    let mut sent: BTreeMap<String, Sent> = BTreeMap::new();
    for version in versions
        .iter()
        .filter(|version| version.rust_path.is_some())
    {
        let root = &version.schema;
        for node in walk(root, root, "", &KeyOrder::default(), true) {
            let event_key = node.path.strip_prefix("eventData.");
            let listed = match event_key {
                Some(key) => !key.contains(['.', '[']),
                None => envelope_field(&node.path).is_some(),
            };
            let Some(classification) = version.classifications.get(&node.path) else {
                continue;
            };
            if !listed {
                continue;
            }
            let entry = sent.entry(node.path.clone()).or_insert_with(|| Sent {
                classification: *classification,
                events: Vec::new(),
                description: description(&node.path, node.description(root)),
                free_text: is_free_text(root, &node.property),
            });
            // A key two events classify differently is listed with the more revealing class.
            if classification.sent_class().could_identify() {
                entry.classification = *classification;
            }
            if event_key.is_some() && !entry.events.contains(&version.event_type) {
                entry.events.push(version.event_type.clone());
            }
        }
    }
    sent
}

/// A field's description in one line, after the reason for its class when the envelope gives
/// one.
fn description(path: &str, description: &str) -> String {
    let description = one_line(description);
    match envelope_field(path) {
        Some(field) => format!("{}. {description}", capitalised(field.reason)),
        None => description,
    }
}

/// Whether values of `schema` are text of no fixed form: a string without `enum`, `const`,
/// `pattern` or `format`, a map of them, or an array of them.
fn is_free_text(root: &Value, schema: &Value) -> bool {
    let Some(schema) = resolve(root, schema) else {
        return false;
    };
    if ["enum", "const", "pattern", "format"]
        .iter()
        .any(|key| schema.get(key).is_some())
    {
        return false;
    }
    let kinds: Vec<&str> = match schema.get("type") {
        Some(Value::String(kind)) => vec![kind.as_str()],
        Some(Value::Array(kinds)) => kinds.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    kinds.iter().any(|kind| match *kind {
        "string" => true,
        "object" => schema
            .get("additionalProperties")
            .is_some_and(|values| values.is_object() && is_free_text(root, values)),
        "array" => schema
            .get("items")
            .is_some_and(|items| is_free_text(root, items)),
        _ => false,
    })
}

/// The classes of everything the code sends.
fn sent_classes(sent: &BTreeMap<String, Sent>) -> Vec<DataClass> {
    DataClass::ALL
        .into_iter()
        .filter(|class| {
            sent.values()
                .any(|field| field.classification.sent_class() == *class)
        })
        .collect()
}

/// The page's opening paragraphs: what the data is for, in the program's own words when it
/// gives them (the generator never writes a purpose for it), and what the data is, as far as the
/// classes of the fields sent allow.
pub(super) fn statement(out: &mut String, versions: &[EventVersion], purpose: Option<&str>) {
    let sent = sent_fields(versions);
    let classes = sent_classes(&sent);
    if let Some(purpose) = purpose {
        let _ = write!(out, "{}\n\n", purpose.trim());
    }
    let mut parts = Vec::new();
    if classes.contains(&DataClass::EndUserPseudonymized) {
        parts.push(format!(
            "identifiers ({}) tie events together, and though none is a name, each stands for \
             one run, installation or project",
            list(&paths_of(&sent, |f| {
                f.sent_class() == DataClass::EndUserPseudonymized
            }))
        ));
    }
    if classes.contains(&DataClass::CustomerContent) {
        parts.push(format!(
            "some fields hold names and text the user chose ({})",
            list(&paths_of(&sent, |f| f.class == DataClass::CustomerContent
                && !f.hashed))
        ));
    }
    if classes.contains(&DataClass::CallStackOrException) {
        parts.push(format!(
            "error messages are sent as written and may quote addresses and paths ({})",
            list(&paths_of(&sent, |f| f.class
                == DataClass::CallStackOrException
                && !f.hashed))
        ));
    }
    if classes.contains(&DataClass::PublicPersonal) {
        parts.push(format!(
            "some fields hold personal data that was made public ({})",
            list(&paths_of(&sent, |f| f.class == DataClass::PublicPersonal && !f.hashed))
        ));
    }
    if parts.is_empty() {
        out.push_str(
            "Every field is a fact about the program and the machine it runs on, or public data \
             about no one: nothing sent could identify a person or an organisation.\n\n",
        );
    } else {
        let pseudonymous = if classes.contains(&DataClass::EndUserPseudonymized) {
            "pseudonymous, not anonymous"
        } else {
            "not anonymous"
        };
        let _ = write!(
            out,
            "The data is {pseudonymous}: {}. [Privacy](#privacy) lists every such field and \
             how each identifier is made.\n\n",
            parts.join("; ")
        );
    }
}

/// The paths of the fields sent whose classification passes `filter`, in path order.
fn paths_of(sent: &BTreeMap<String, Sent>, filter: impl Fn(&Classification) -> bool) -> Vec<&str> {
    sent.iter()
        .filter(|(_, field)| filter(&field.classification))
        .map(|(path, _)| path.as_str())
        .collect()
}

/// `` `a`, `b` and `c` ``.
fn list(paths: &[&str]) -> String {
    let quoted: Vec<String> = paths.iter().map(|path| format!("`{path}`")).collect();
    match quoted.as_slice() {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// The privacy section.
pub(super) fn section(out: &mut String, versions: &[EventVersion], config: &Config) {
    let sent = sent_fields(versions);
    out.push_str(
        "## Privacy\n\n\
         Every field says what it holds, its class, and why it is sent, its purpose: the tables \
         above show both, and [`schemas/catalogue.json`](../schemas/catalogue.json) lists them \
         for data-governance tools. The classes are those of Visual Studio Code's telemetry; a \
         class covers everything inside its field.\n\n\
         | Class | What it holds | Could identify a person or an organisation | Fields sent |\n\
         |---|---|---|---|\n",
    );
    for class in DataClass::ALL {
        let count = sent
            .values()
            .filter(|field| field.classification.sent_class() == class)
            .count();
        let _ = writeln!(
            out,
            "| `{class}` | {} | {} | {count} |",
            capitalised(class.meaning()),
            if class.could_identify() { "yes" } else { "no" },
        );
    }

    out.push_str("\n### What could identify a person or an organisation\n\n");
    let mut any = false;
    for class in DataClass::ALL
        .into_iter()
        .filter(|class| class.could_identify())
    {
        let fields: Vec<(&String, &Sent)> = sent
            .iter()
            .filter(|(_, field)| field.classification.sent_class() == class)
            .collect();
        if fields.is_empty() {
            continue;
        }
        any = true;
        let _ = write!(out, "`{class}`, {}:", class.meaning());
        if class == DataClass::EndUserPseudonymized {
            let paths: Vec<&str> = fields.iter().map(|(path, _)| path.as_str()).collect();
            let _ = writeln!(
                out,
                " {}, described under [Pseudonymous identifiers](#pseudonymous-identifiers).\n",
                list(&paths)
            );
            continue;
        }
        out.push_str("\n\n");
        for (path, field) in fields {
            bullet(out, path, field);
        }
        out.push('\n');
    }
    if !any {
        out.push_str("Nothing sent could.\n\n");
    }

    out.push_str(
        "### Free text\n\n\
         These fields carry text of no fixed form, sent as it was written; whatever it quotes is \
         sent too:\n\n",
    );
    let free: Vec<(&String, &Sent)> = sent
        .iter()
        .filter(|(_, field)| field.free_text && field.classification.sent_class().could_identify())
        .collect();
    if free.is_empty() {
        out.push_str("- none\n");
    }
    for (path, field) in free {
        let _ = writeln!(out, "- `{path}`{}", events(field));
    }

    out.push_str(
        "\n### Pseudonymous identifiers\n\n\
         None of these is a name, but each links the events of one run, installation or \
         project, and anyone who can compute one from what they know can tell whose events \
         they are. How each is made:\n\n",
    );
    let config_dir = environment::CONFIG_DIR.name_for(config.env_prefix());
    for (path, field) in sent
        .iter()
        .filter(|(_, field)| field.classification.sent_class() == DataClass::EndUserPseudonymized)
    {
        if field.classification.hashed {
            let _ = writeln!(
                out,
                "- `{path}`{}: a keyed hash (HMAC-SHA-256) of `{}` data. The key is a random \
                 secret made once per installation and kept in the file `hash-key` of the \
                 telemetry configuration directory (`{config_dir}`), never sent: one value \
                 hashes the same on one installation and differently on others, and without the \
                 key no one can test a guess against the hash. {}",
                events(field),
                field.classification.class,
                field.description
            );
        } else {
            bullet(out, path, field);
        }
    }
    out.push('\n');
    retention_and_erasure(out, config);
}

/// How long the data lives, as the operator configured it, and how erasure is asked for and
/// done.
fn retention_and_erasure(out: &mut String, config: &Config) {
    out.push_str(
        "### How long the data is kept, and erasure

",
    );
    match config.retention() {
        Some((events, failures)) => {
            let _ = writeln!(
                out,
                "Events are kept for {events} day(s) after they are received, then deleted. \
                 Failure records (events the receiver refused, kept word for word so that they \
                 can be fixed and replayed, which may hold what the rules above forbid) are kept \
                 for {failures} day(s). The same limits hold in the warehouse's tables, as \
                 their TTL, counted from the day the data reached the warehouse (never by the \
                 sender's clock).\n"
            );
        }
        None => out.push_str(
            "No retention is configured: what is received is kept until its operator deletes \
             it.\n\n",
        ),
    }
    let whom = config.erasure_contact_text().map_or_else(
        || "the program's maintainers".to_owned(),
        |contact| format!("the program's maintainers ({contact})"),
    );
    let _ = writeln!(
        out,
        "To have what was received from your installation erased, ask {whom}, quoting its \
         installation ID: the program's telemetry `status` shows it, and it is the `userID` of \
         every event sent (with no installation ID, quote the `projectID` of your project, or \
         the `userID` the program sets). The operator removes every event and failure record \
         with that ID from the receiver's files (`telemetry-receiver forget`) and from the \
         warehouse (the statements at the end of `schemas/clickhouse.sql`), and keeps a record \
         of the erasure that holds only the ID's SHA-256. Resetting telemetry on your side \
         (`reset`) makes a new installation ID: quote the old one first.\n"
    );
}

/// `- `path` (events): description`.
fn bullet(out: &mut String, path: &str, field: &Sent) {
    let _ = writeln!(out, "- `{path}`{}: {}", events(field), field.description);
}

/// ` (in `A`, `B`)`, or ` (every event)` for the envelope's fields.
fn events(field: &Sent) -> String {
    if field.events.is_empty() {
        " (every event)".into()
    } else {
        let names: Vec<&str> = field.events.iter().map(String::as_str).collect();
        format!(" (in {})", list(&names))
    }
}

/// The paragraphs of `text` in one line.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_uppercase().chain(chars).collect()
    })
}
