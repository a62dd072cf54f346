//! The fast way to serialise envelopes: the run's [`Context`] does not change between events,
//! so it is serialised once, and each event only adds its timestamp and data.

use std::fmt;
use std::ops::Range;

use serde::ser::Error as _;

use super::context::Context;
use super::envelope::keys;
use super::event::TelemetryEvent;
use super::guard::{Found, Guard, OutOfRange};

/// Serialises envelopes of one run, byte for byte as serialising an [`Envelope`](crate::Envelope)
/// with `serde_json` would, at a fraction of the cost.
///
/// ```
/// use telemetry_core::{Envelope, EnvelopeEncoder, TelemetryEvent};
///
/// /// A stage was built.
/// #[derive(serde::Serialize, telemetry_core::JsonSchema, TelemetryEvent)]
/// #[serde(rename_all = "camelCase")]
/// #[telemetry(version = 1, example = built)]
/// pub struct StageBuilt {
///     /// How long it took, in milliseconds.
///     #[telemetry(class = system_metadata, purpose = performance_and_health)]
///     pub duration_ms: u64,
/// }
/// fn built() -> Envelope<StageBuilt> {
///     Envelope::example("acme build", StageBuilt { duration_ms: 8_500 })
/// }
///
/// let example = built();
/// let encoder = EnvelopeEncoder::new(&example.context);
/// let mut json = Vec::new();
/// let event_data = encoder.encode(example.ts, &example.event, &mut json).unwrap();
/// assert_eq!(json, serde_json::to_vec(&example).unwrap());
/// assert_eq!(&json[event_data], serde_json::to_vec(&example.event).unwrap().as_slice());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvelopeEncoder {
    /// Everything between `ts`'s value and `eventType`'s: `,"executionID":...,"eventType":`.
    between_ts_and_event_type: Vec<u8>,
    /// `attributes`, serialised: the OTLP mapping sends it as a string of its own.
    attributes_json: String,
}

impl EnvelopeEncoder {
    /// An encoder for the events of `context`'s run.
    pub fn new(context: &Context) -> Self {
        let attributes_json = serde_json::to_string(&context.attributes).unwrap_or_default();
        let mut middle = Vec::with_capacity(256 + attributes_json.len());
        let mut field = |key: &str, value: &str| {
            middle.push(b',');
            push_json_string(&mut middle, key);
            middle.push(b':');
            push_json_string(&mut middle, value);
        };
        field(keys::EXECUTION_ID, &context.execution_id);
        field(keys::USER_ID, &context.user_id);
        field(keys::PROJECT_ID, &context.project_id);
        field(keys::COMMAND, &context.command);
        middle.push(b',');
        push_json_string(&mut middle, keys::ATTRIBUTES);
        middle.push(b':');
        middle.extend_from_slice(attributes_json.as_bytes());
        middle.push(b',');
        push_json_string(&mut middle, keys::EVENT_TYPE);
        middle.push(b':');
        EnvelopeEncoder {
            between_ts_and_event_type: middle,
            attributes_json,
        }
    }

    /// Appends the envelope of `event`, emitted at `ts` (ms since the Unix epoch), to `out`;
    /// returns where in `out` its `eventData` is.
    ///
    /// # Errors
    ///
    /// When the event does not serialise (a map with non-string keys, say), or holds a number
    /// its schema refuses, which the error names with its path: an integer beyond
    /// ±(2^53 − 1), a NaN or an infinity (JSON has neither; `serde_json` would write `null`).
    /// `out` then holds a partial envelope after its former end.
    ///
    /// ```
    /// # use telemetry_core::{Context, EnvelopeEncoder, Envelope, TelemetryEvent};
    /// /// A stage was built.
    /// #[derive(serde::Serialize, telemetry_core::JsonSchema, TelemetryEvent)]
    /// #[serde(rename_all = "camelCase")]
    /// #[telemetry(version = 1, example = built)]
    /// pub struct StageBuilt {
    ///     /// How long it took, in milliseconds.
    ///     #[telemetry(class = system_metadata, purpose = performance_and_health)]
    ///     pub duration_ms: u64,
    /// }
    /// # fn built() -> Envelope<StageBuilt> {
    /// #     Envelope::example("acme build", StageBuilt { duration_ms: 8_500 })
    /// # }
    /// let encoder = EnvelopeEncoder::new(&Context::default());
    /// let error = encoder.encode(0, &StageBuilt { duration_ms: u64::MAX }, &mut Vec::new()).unwrap_err();
    /// assert!(error.to_string().starts_with("`eventData.durationMs` is 18446744073709551615, which its schema refuses"));
    /// ```
    pub fn encode<E: TelemetryEvent>(
        &self,
        ts: u64,
        event: &E,
        out: &mut Vec<u8>,
    ) -> serde_json::Result<Range<usize>> {
        self.encode_checked(ts, event, out)
            .map_err(EncodeError::into_json)
    }

    /// [`encode`](Self::encode), telling a number the schema refuses from a failure to
    /// serialise.
    pub(crate) fn encode_checked<E: TelemetryEvent>(
        &self,
        ts: u64,
        event: &E,
        out: &mut Vec<u8>,
    ) -> Result<Range<usize>, EncodeError> {
        out.reserve(self.between_ts_and_event_type.len() + 128);
        out.extend_from_slice(b"{\"ts\":");
        out.extend_from_slice(itoa::Buffer::new().format(ts).as_bytes());
        out.extend_from_slice(&self.between_ts_and_event_type);
        push_json_string(out, E::EVENT_TYPE);
        out.extend_from_slice(b",\"eventData\":");
        let start = out.len();
        let found = Found::default();
        let written = event.serialize(Guard::new(
            &mut serde_json::Serializer::new(&mut *out),
            &found,
        ));
        if let Err(error) = written {
            return Err(match found.take() {
                Some(refused) => EncodeError::Refused(refused),
                None => EncodeError::Serialize(error),
            });
        }
        let end = out.len();
        out.extend_from_slice(b",\"schemaVersion\":");
        out.extend_from_slice(itoa::Buffer::new().format(E::SCHEMA_VERSION).as_bytes());
        out.push(b'}');
        Ok(start..end)
    }

    /// The run's `attributes`, serialised.
    pub fn attributes_json(&self) -> &str {
        &self.attributes_json
    }
}

/// Why an event was not encoded.
#[derive(Debug)]
pub(crate) enum EncodeError {
    /// It did not serialise.
    Serialize(serde_json::Error),
    /// It holds a number its schema refuses.
    Refused(OutOfRange),
}

impl EncodeError {
    fn into_json(self) -> serde_json::Error {
        match self {
            EncodeError::Serialize(error) => error,
            EncodeError::Refused(refused) => serde_json::Error::custom(refused),
        }
    }
}

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EncodeError::Serialize(error) => write!(f, "did not serialise: {error}"),
            EncodeError::Refused(refused) => write!(f, "was not sent: {refused}"),
        }
    }
}

/// Appends `text` as a JSON string, escaped as `serde_json` escapes it.
fn push_json_string(out: &mut Vec<u8>, text: &str) {
    // Serialising a `str` into a `Vec` cannot fail.
    let _ = serde_json::to_writer(&mut *out, text);
}

// Over werf's events: their shapes (nested arrays, optional keys, enums) are what the encoder
// must get right.
#[cfg(test)]
#[cfg(feature = "werf")]
mod tests {
    use std::collections::BTreeMap;

    use super::EnvelopeEncoder;
    use crate::test_support::Rng;
    use crate::werf::{
        self as events, CommandOption, CommandStarted, ConfigType, ImageBuildFinished,
        StageBuildFinished,
    };
    use crate::{Attributes, Context, Envelope, TelemetryEvent};

    /// The encoder's bytes, and where it says `eventData` is, against `serde_json`'s.
    fn assert_same<E: TelemetryEvent + Clone>(context: &Context, ts: u64, event: &E) {
        let encoder = EnvelopeEncoder::new(context);
        let mut fast = b"previous content stays".to_vec();
        let start = fast.len();
        let range = encoder.encode(ts, event, &mut fast).unwrap();
        let straightforward =
            serde_json::to_vec(&Envelope::new(context, ts, event.clone())).unwrap();
        assert_eq!(&fast[..start], b"previous content stays");
        assert_eq!(
            String::from_utf8_lossy(&fast[start..]),
            String::from_utf8_lossy(&straightforward)
        );
        assert_eq!(fast[range].to_vec(), serde_json::to_vec(event).unwrap());
        assert_eq!(
            encoder.attributes_json(),
            serde_json::to_string(&context.attributes).unwrap()
        );
    }

    #[test]
    fn every_example_encodes_exactly_as_serde_json_does() {
        for example in CommandStarted::examples() {
            assert_same(&example.context, example.ts, &example.event);
        }
        let stage = events::examples::stage_build_finished();
        assert_same(&stage.context, stage.ts, &stage.event);
        let unshallow = events::examples::unshallow_failed();
        assert_same(&unshallow.context, unshallow.ts, &unshallow.event);
        let image = events::examples::image_build_finished();
        assert_same(&image.context, image.ts, &image.event);
    }

    fn random_context(rng: &mut Rng) -> Context {
        let optional = |rng: &mut Rng| rng.bool().then(|| rng.string(12));
        let extra: BTreeMap<String, String> = (0..rng.below(4))
            .map(|_| (rng.string(8), rng.string(8)))
            .collect();
        Context {
            execution_id: rng.string(40),
            user_id: rng.string(10),
            project_id: rng.string(64),
            command: rng.string(20),
            attributes: Attributes {
                arch: rng.string(6),
                os: rng.string(6),
                group_channel: optional(rng),
                version: rng.string(8),
                ci: rng.bool(),
                ci_name: optional(rng),
                extra,
            },
        }
    }

    #[test]
    fn numbers_the_schema_refuses_are_refused_by_path_and_nothing_else_is() {
        let context = Context::default();
        let encoder = EnvelopeEncoder::new(&context);
        let mut rng = Rng::new(0x5afe);
        for _ in 0..2000 {
            let duration_ms = rng.next();
            let event = ImageBuildFinished {
                image: rng.string(16),
                duration_ms,
                rebuilt: rng.bool(),
                config_type: None,
            };
            let result = encoder.encode(0, &event, &mut Vec::new());
            if duration_ms < 1 << 53 {
                assert!(result.is_ok(), "{duration_ms}");
            } else {
                let error = result.unwrap_err().to_string();
                assert!(
                    error.starts_with(&format!(
                        "`eventData.durationMs` is {duration_ms}, which its schema refuses"
                    )),
                    "{error}"
                );
            }
        }
    }

    #[test]
    fn random_envelopes_encode_exactly_as_serde_json_does() {
        let mut rng = Rng::new(0x7e1e_3e7e);
        for _ in 0..2000 {
            let context = random_context(&mut rng);
            let ts = rng.next();
            match rng.below(3) {
                0 => assert_same(
                    &context,
                    ts,
                    &CommandStarted {
                        command_options: (0..rng.below(3))
                            .map(|_| CommandOption {
                                name: rng.string(10),
                                as_cli: rng.bool(),
                                as_env: rng.bool(),
                                count: u32::try_from(rng.below(1 << 20)).unwrap_or(0),
                            })
                            .collect(),
                    },
                ),
                1 => assert_same(
                    &context,
                    ts,
                    &ImageBuildFinished {
                        image: rng.string(16),
                        // What the schema accepts: at most 2^53 − 1.
                        duration_ms: rng.below(1 << 53),
                        rebuilt: rng.bool(),
                        config_type: rng.bool().then_some(ConfigType::Staged),
                    },
                ),
                _ => assert_same(
                    &context,
                    ts,
                    &StageBuildFinished {
                        image: rng.string(16),
                        stage: rng.string(16),
                        duration_ms: rng.below(1 << 53),
                        from_cache: rng.bool(),
                        base_image_source: events::BaseImageSource::Secondary,
                        base_image_pulled: rng.bool(),
                    },
                ),
            }
        }
    }
}
