//! Serving: the connection layer ([`server`]) over one export's way ([`pipeline`]: its body,
//! decoding, accepting and storing) within its [`limits`], every [`answer`] it gives, keeping
//! [`counts`] in its [`state`]; and a receiver on a thread of its own ([`running`]).

pub(crate) mod answer;
pub(crate) mod counts;
pub(crate) mod limits;
pub(crate) mod pipeline;
pub(crate) mod running;
pub(crate) mod server;
pub(crate) mod state;
