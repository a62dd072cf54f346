//! After the fact: the live check's report ([`check`]: counts, failures, coverage; and the
//! offline check of a log file), and sending envelopes to a receiver again ([`replay`]).

pub(crate) mod check;
pub(crate) mod replay;
