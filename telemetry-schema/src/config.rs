//! [`Config`]: what the generator needs to know about the program whose events it documents,
//! and where the files go. A leaf every step of the generator reads.

use std::path::{Path, PathBuf};

use telemetry_core::classify::DataClass;
use telemetry_core::environment::EnvVar;

use crate::paths::event_schema_path;
use crate::policy::Rule;

/// The generator's settings for one program: its name, the prefix of its environment
/// variables, where the generated files go, and what the docs and schemas say about where the
/// data goes.
///
/// ```
/// use telemetry_schema::Config;
///
/// let config = Config::new("acme", "ACME")
///     .out_dir("telemetry")
///     .base_uri("https://acme.example/schemas/")
///     .endpoint("https://telemetry.acme.example/v1/traces");
/// assert_eq!(config.tool_name(), "acme");
/// assert_eq!(config.out_dir_path(), std::path::Path::new("telemetry"));
/// assert_eq!(
///     config.schema_id("events/Deployed.v1.schema.json"),
///     "https://acme.example/schemas/events/Deployed.v1.schema.json"
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    tool_name: String,
    env_prefix: String,
    out_dir: PathBuf,
    group_channel: Option<EnvVar>,
    base_uri: Option<String>,
    endpoint: Option<String>,
    span_name: Option<String>,
    policy: Vec<Rule>,
    clickhouse: bool,
    widening: Option<String>,
    retention: Option<(u32, u32)>,
    erasure_contact: Option<String>,
    otel_traces: OtelTraces,
    clickhouse_cluster: Option<String>,
    purpose: Option<String>,
}

/// The layout of the `otel_traces` table the OpenTelemetry Collector's ClickHouse exporter
/// writes, which `schemas/clickhouse.sql` creates (when it does not exist) and reads: the
/// exporter's own templates, as it renders them.
///
/// ```
/// use telemetry_schema::{Config, OtelTraces};
///
/// let config = Config::new("acme", "ACME").clickhouse().otel_traces(OtelTraces::Json);
/// assert_eq!(config.otel_traces_layout(), OtelTraces::Json);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum OtelTraces {
    /// Attributes as `Map(LowCardinality(String), String)` (every value a string) with text
    /// indexes: what the exporter creates on ClickHouse 26.2 and later.
    #[default]
    TextIndexes,
    /// Attributes as `Map(LowCardinality(String), String)` with bloom-filter indexes: what the
    /// exporter creates before ClickHouse 26.2.
    BloomFilters,
    /// Attributes as ClickHouse `JSON`: the exporter's `json: true`.
    Json,
}

impl Config {
    /// The settings for `tool_name` (as users call it: `acme`), whose environment variables
    /// start with `env_prefix` (`ACME`: `ACME_TELEMETRY`, ...). Files go to the workspace
    /// root itself: `schemas/`, `examples/` and `docs/telemetry.md`.
    pub fn new(tool_name: impl Into<String>, env_prefix: impl Into<String>) -> Self {
        Config {
            tool_name: tool_name.into(),
            env_prefix: env_prefix.into(),
            out_dir: PathBuf::new(),
            group_channel: None,
            base_uri: None,
            endpoint: None,
            span_name: None,
            policy: Vec::new(),
            clickhouse: false,
            widening: None,
            retention: None,
            erasure_contact: None,
            otel_traces: OtelTraces::default(),
            clickhouse_cluster: None,
            purpose: None,
        }
    }

    /// Puts every generated file under `dir`, a folder of the workspace root (a relative path
    /// without `..`).
    #[must_use]
    pub fn out_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.out_dir = dir.into();
        self
    }

    /// Documents the variable the program reads `attributes.groupChannel` from (what its
    /// [`Settings::group_channel_variable`](telemetry_core::Settings::group_channel_variable)
    /// names); without it, `groupChannel` is neither documented nor accepted by the schemas.
    #[must_use]
    pub fn group_channel(mut self, variable: EnvVar) -> Self {
        self.group_channel = Some(variable);
        self
    }

    /// The URI the `schemas/` folder is published at: every schema's `$id` is this followed by
    /// the file's path in the folder, and references between files are these absolute `$id`s,
    /// so the schemas load in any consumer whatever the base. Default: `urn:<tool>:telemetry:`,
    /// an identifier that names no place. A base that is not an absolute URI (a scheme, then
    /// more), or that has a query, a fragment or white space, is refused when the files are
    /// generated.
    #[must_use]
    pub fn base_uri(mut self, uri: impl Into<String>) -> Self {
        self.base_uri = Some(uri.into());
        self
    }

    /// The endpoint the program sends to (what its
    /// [`Settings::endpoint`](telemetry_core::Settings::endpoint) says), for the docs' section on
    /// where the data goes.
    #[must_use]
    pub fn endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.endpoint = Some(endpoint.into());
        self
    }

    /// The name of the program's spans and of their scope (what its
    /// [`Settings::span_name`](telemetry_core::Settings::span_name) says), for the docs; by
    /// default `<tool>.telemetry`, as the settings' default.
    #[must_use]
    pub fn span_name(mut self, name: impl Into<String>) -> Self {
        self.span_name = Some(name.into());
        self
    }

    /// Also generates `schemas/clickhouse.sql`: the program's ClickHouse tables (its events,
    /// taking a receiver's stored lines as they are, and its failed events), a typed view per
    /// event version, and the path from the OpenTelemetry Collector's `otel_traces` table.
    ///
    /// ```
    /// let config = telemetry_schema::Config::new("acme", "ACME").clickhouse();
    /// assert!(config.writes_clickhouse());
    /// ```
    #[must_use]
    pub fn clickhouse(mut self) -> Self {
        self.clickhouse = true;
        self
    }

    /// What the data is for, in the program's own words: the docs open with it. Without it they
    /// state no purpose (the generator never writes one for a program) and open with what is sent.
    ///
    /// ```
    /// let config = telemetry_schema::Config::new("acme", "ACME")
    ///     .purpose("acme's maintainers learn which commands are used, to know what to improve.");
    /// assert!(config.purpose_statement().is_some());
    /// ```
    #[must_use]
    pub fn purpose(mut self, text: impl Into<String>) -> Self {
        self.purpose = Some(text.into());
        self
    }

    /// What the data is for, if the configuration says ([`purpose`](Self::purpose)).
    pub fn purpose_statement(&self) -> Option<&str> {
        self.purpose.as_deref()
    }

    /// The layout of the exporter's `otel_traces` that the warehouse reads (and creates when it
    /// does not exist): text indexes unless told otherwise. Match the exporter's `json` option.
    #[must_use]
    pub fn otel_traces(mut self, layout: OtelTraces) -> Self {
        self.otel_traces = layout;
        self
    }

    /// The layout of `otel_traces` ([`otel_traces`](Self::otel_traces)).
    pub fn otel_traces_layout(&self) -> OtelTraces {
        self.otel_traces
    }

    /// Generates the warehouse for the ClickHouse cluster `name`: every statement
    /// `ON CLUSTER`, rows stored in replicated `<program>_events_local` tables on each shard,
    /// `Distributed` tables named as on one server (`<program>_events`) over them, and the views
    /// over those.
    ///
    /// ```
    /// let config = telemetry_schema::Config::new("acme", "ACME")
    ///     .clickhouse()
    ///     .clickhouse_cluster("analytics");
    /// assert_eq!(config.clickhouse_cluster_name(), Some("analytics"));
    /// ```
    #[must_use]
    pub fn clickhouse_cluster(mut self, name: impl Into<String>) -> Self {
        self.clickhouse_cluster = Some(name.into());
        self
    }

    /// The cluster the warehouse is generated for ([`clickhouse_cluster`](Self::clickhouse_cluster)).
    pub fn clickhouse_cluster_name(&self) -> Option<&str> {
        self.clickhouse_cluster.as_deref()
    }

    /// States how long the data is kept: events `events_days` days after they are received,
    /// failure records `failures_days` (keep it shorter: they hold refused events word for
    /// word), what the receiver's `--retain-days` and `--retain-failed-days` do, and the TTL of the
    /// warehouse's tables, counted from the day they reached it. The docs' privacy section says
    /// so; without it, that no retention is configured.
    ///
    /// ```
    /// let config = telemetry_schema::Config::new("acme", "ACME").retention_days(90, 14);
    /// assert_eq!(config.retention(), Some((90, 14)));
    /// ```
    #[must_use]
    pub fn retention_days(mut self, events_days: u32, failures_days: u32) -> Self {
        self.retention = Some((events_days, failures_days));
        self
    }

    /// The days events and failure records are kept ([`retention_days`](Self::retention_days)).
    pub fn retention(&self) -> Option<(u32, u32)> {
        self.retention
    }

    /// Where a user asks for what was received from their installation to be erased (an
    /// address, a page), for the docs' privacy section.
    #[must_use]
    pub fn erasure_contact(mut self, contact: impl Into<String>) -> Self {
        self.erasure_contact = Some(contact.into());
        self
    }

    /// Where a user asks for erasure, if the configuration says
    /// ([`erasure_contact`](Self::erasure_contact)).
    pub fn erasure_contact_text(&self) -> Option<&str> {
        self.erasure_contact.as_deref()
    }

    /// Lets this run correct published versions to accept more, for `reason` (what
    /// `cargo xtask schema --widen REASON` sets): a published version whose schema now accepts
    /// a superset of what it accepted (the compatibility classifier decides) is rewritten in
    /// place, and the catalogue records the change with `reason` as a widening
    /// [amendment](crate::publish::AmendmentKind::Widening). A change that narrows anything is
    /// still refused. Meant for one run, when a version's real senders are found to send more
    /// than it said: the record makes later runs (and `--check`) hold the corrected file as
    /// immutable as any.
    ///
    /// ```
    /// let config = telemetry_schema::Config::new("acme", "ACME")
    ///     .widen("acme 1.4 sends `ci` only when true");
    /// assert_eq!(config.widening_reason(), Some("acme 1.4 sends `ci` only when true"));
    /// ```
    #[must_use]
    pub fn widen(mut self, reason: impl Into<String>) -> Self {
        self.widening = Some(reason.into());
        self
    }

    /// The reason published versions may be widened for in this run, if any
    /// ([`widen`](Self::widen)).
    pub fn widening_reason(&self) -> Option<&str> {
        self.widening.as_deref()
    }

    /// Whether `schemas/clickhouse.sql` is generated ([`clickhouse`](Self::clickhouse)).
    pub fn writes_clickhouse(&self) -> bool {
        self.clickhouse
    }

    /// Forbids event fields of `class`: `cargo xtask schema` fails, naming the event, the field
    /// and the rule, while any event the code defines has one.
    ///
    /// ```
    /// use telemetry_schema::DataClass;
    ///
    /// let config = telemetry_schema::Config::new("acme", "ACME")
    ///     .forbid(DataClass::PublicPersonal)
    ///     .forbid_unless_hashed(DataClass::CustomerContent);
    /// assert_eq!(config.policy()[1].to_string(), "no `customer_content` fields unless hashed");
    /// ```
    #[must_use]
    pub fn forbid(mut self, class: DataClass) -> Self {
        self.policy.push(Rule {
            class,
            unless_hashed: false,
        });
        self
    }

    /// Forbids event fields of `class` unless they are sent as a keyed hash
    /// ([`Hashed`](telemetry_core::Hashed)); see [`forbid`](Self::forbid).
    #[must_use]
    pub fn forbid_unless_hashed(mut self, class: DataClass) -> Self {
        self.policy.push(Rule {
            class,
            unless_hashed: true,
        });
        self
    }

    /// The rules set with [`forbid`](Self::forbid) and
    /// [`forbid_unless_hashed`](Self::forbid_unless_hashed), in order.
    pub fn policy(&self) -> &[Rule] {
        &self.policy
    }

    /// The program's name.
    pub fn tool_name(&self) -> &str {
        &self.tool_name
    }

    /// The prefix of the program's environment variables.
    pub fn env_prefix(&self) -> &str {
        &self.env_prefix
    }

    /// Where the generated files go, relative to the workspace root.
    pub fn out_dir_path(&self) -> &Path {
        &self.out_dir
    }

    /// The group-channel variable, if the program reads one.
    pub fn group_channel_variable(&self) -> Option<&EnvVar> {
        self.group_channel.as_ref()
    }

    /// The endpoint the program sends to, if the settings name it.
    pub fn endpoint_url(&self) -> Option<&str> {
        self.endpoint.as_deref()
    }

    /// The name of the program's spans: the one set with [`span_name`](Self::span_name), or
    /// the default.
    pub fn resolved_span_name(&self) -> String {
        self.span_name
            .clone()
            .unwrap_or_else(|| format!("{}.telemetry", self.tool_name))
    }

    /// The `$id` of the schema at `path` in the `schemas/` folder.
    pub fn schema_id(&self, path: &str) -> String {
        let base = self
            .base_uri
            .clone()
            .unwrap_or_else(|| format!("urn:{}:telemetry:", self.tool_name));
        if base.ends_with(['/', ':']) {
            format!("{base}{path}")
        } else {
            format!("{base}/{path}")
        }
    }

    /// The `$id` of the schema of one event version.
    pub fn event_schema_id(&self, event_type: &str, version: u32) -> String {
        self.schema_id(event_schema_path(event_type, version).trim_start_matches("schemas/"))
    }
}
