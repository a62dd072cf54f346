//! Serving: the HTTP layer ([`server`]) over decoding, accepting and storing, within its
//! [`limits`], keeping [`counts`]; and a receiver on a thread of its own ([`running`]).

pub(crate) mod counts;
pub(crate) mod limits;
pub(crate) mod running;
pub(crate) mod server;
