//! Diagnostics: the lines of the log file that say what went wrong, never the terminal. Each
//! kind is written a few times, then counted, and the count written once at the end, so that a
//! thousand malformed variables or a failing network cost a few lines, not a thousand.
//!
//! A diagnostic line is `{"diagnostic":<kind>,"executionID":...,"message":...,"ts":...}`: the
//! `diagnostic` key tells it from an event line. Its kinds, in [`KINDS`]:
//!
//! ```
//! let kinds: Vec<&str> = telemetry_core::diagnostics::KINDS.iter().map(|kind| kind.name).collect();
//! assert_eq!(kinds, ["configuration", "delivery", "dropped", "serialization"]);
//! ```

/// How many diagnostics of one kind are written before the rest are only counted.
pub const SHOWN_PER_KIND: usize = 5;

/// One kind of diagnostic: the `diagnostic` key's value, and what it means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Kind {
    /// The value of the line's `diagnostic` key.
    pub name: &'static str,
    /// What lines of this kind report, one sentence of Markdown.
    pub meaning: &'static str,
}

/// Every kind of diagnostic, in the order the docs list them.
pub const KINDS: &[Kind] = &[
    Kind {
        name: kind::CONFIGURATION,
        meaning: "The environment, the settings or telemetry's files asked for something that \
                  cannot be done, or doubt turned telemetry off: a malformed variable, an \
                  unusable endpoint or proxy, a log file made private or refused, a \
                  configuration directory or remembered choice that is not trusted, a project \
                  not identified in time.",
    },
    Kind {
        name: kind::DELIVERY,
        meaning: "Events could not be delivered: the collector refused them, did not answer \
                  before the shutdown deadline, or could not be reached.",
    },
    Kind {
        name: kind::DROPPED,
        meaning: "Events or log lines were dropped: the queue was full, or the shutdown \
                  deadline passed.",
    },
    Kind {
        name: kind::SERIALIZATION,
        meaning: "An event was not sent: it did not serialise to JSON, or held a number its \
                  schema refuses (an integer beyond ±(2^53 − 1), a NaN or an infinity); the \
                  line names the event and the field.",
    },
];

/// The kinds of diagnostics, as the `diagnostic` key of a line says.
pub(crate) mod kind {
    /// The environment or the settings asked for something that cannot be done.
    pub(crate) const CONFIGURATION: &str = "configuration";
    /// Events could not be delivered (the network, the log file).
    pub(crate) const DELIVERY: &str = "delivery";
    /// Events were dropped: the queue was full, or the shutdown deadline passed.
    pub(crate) const DROPPED: &str = "dropped";
    /// An event did not serialise, or held a number its schema refuses.
    pub(crate) const SERIALIZATION: &str = "serialization";
}

/// Counts diagnostics by kind, and decides which are written.
///
/// Arrays indexed by the kind's place in [`KINDS`] rather than maps: four fixed kinds need no
/// map, and a map's code is a good part of what a program compiles of this crate.
#[derive(Debug, Default)]
pub(crate) struct Diagnostics {
    shown: [usize; KINDS.len()],
    held_back: [u64; KINDS.len()],
}

impl Diagnostics {
    /// Whether a diagnostic of `kind` is to be written; when not, it is counted.
    pub(crate) fn admit(&mut self, kind: &'static str) -> bool {
        // Every kind the crate writes is in KINDS (a test counts each); a kind that were not
        // would be written every time rather than lost.
        let Some(index) = KINDS.iter().position(|known| known.name == kind) else {
            return true;
        };
        let (Some(shown), Some(held_back)) =
            (self.shown.get_mut(index), self.held_back.get_mut(index))
        else {
            return true;
        };
        if *shown < SHOWN_PER_KIND {
            *shown = shown.saturating_add(1);
            true
        } else {
            *held_back = held_back.saturating_add(1);
            false
        }
    }

    /// One line per kind for what was held back since the last call: `(kind, message)`, in the
    /// order of [`KINDS`].
    pub(crate) fn summaries(&mut self) -> Vec<(&'static str, String)> {
        let held_back = std::mem::take(&mut self.held_back);
        KINDS
            .iter()
            .zip(held_back)
            .filter(|(_, count)| *count > 0)
            .map(|(kind, count)| {
                let message = format!(
                    "{count} more {} diagnostic(s) like the {SHOWN_PER_KIND} above were not written",
                    kind.name
                );
                (kind.name, message)
            })
            .collect()
    }
}

/// A diagnostic line: `{"diagnostic":kind,"executionID":...,"message":...,"ts":...}`.
pub(crate) fn line(kind: &str, message: &str, ts: u64, execution_id: &str) -> Vec<u8> {
    /// The line's keys, in the order they have always been written (alphabetical).
    #[derive(serde::Serialize)]
    struct Line<'a> {
        diagnostic: &'a str,
        #[serde(rename = "executionID")]
        execution_id: &'a str,
        message: &'a str,
        ts: u64,
    }
    let line = Line {
        diagnostic: kind,
        execution_id,
        message,
        ts,
    };
    // Strings and an integer always serialise.
    serde_json::to_vec(&line).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::{Diagnostics, KINDS, SHOWN_PER_KIND, kind, line};

    #[test]
    fn a_few_of_each_kind_then_one_count() {
        let mut diagnostics = Diagnostics::default();
        let admitted = (0..3000)
            .filter(|_| diagnostics.admit(kind::CONFIGURATION))
            .count();
        assert_eq!(admitted, SHOWN_PER_KIND);
        assert!(
            diagnostics.admit(kind::DELIVERY),
            "other kinds have their own count"
        );
        assert_eq!(
            diagnostics.summaries(),
            [(
                kind::CONFIGURATION,
                "2995 more configuration diagnostic(s) like the 5 above were not written"
                    .to_owned()
            )]
        );
        assert!(diagnostics.summaries().is_empty(), "counted once");
    }

    #[test]
    fn every_kind_is_counted_on_its_own_in_the_order_of_kinds() {
        let names = [
            kind::SERIALIZATION,
            kind::DROPPED,
            kind::DELIVERY,
            kind::CONFIGURATION,
        ];
        assert_eq!(names.len(), KINDS.len());
        let mut diagnostics = Diagnostics::default();
        for (extra, name) in names.into_iter().enumerate() {
            for _ in 0..=(SHOWN_PER_KIND + extra) {
                diagnostics.admit(name);
            }
        }
        let summaries = diagnostics.summaries();
        let counted: Vec<(&str, &str)> = summaries
            .iter()
            .map(|(name, message)| (*name, message.split(' ').next().unwrap()))
            .collect();
        assert_eq!(
            counted,
            [
                (kind::CONFIGURATION, "4"),
                (kind::DELIVERY, "3"),
                (kind::DROPPED, "2"),
                (kind::SERIALIZATION, "1"),
            ]
        );
    }

    #[test]
    fn lines_are_json_with_four_keys() {
        let text = String::from_utf8(line("dropped", "3 \"events\"", 7, "id")).unwrap();
        assert_eq!(
            text,
            r#"{"diagnostic":"dropped","executionID":"id","message":"3 \"events\"","ts":7}"#
        );
    }
}
