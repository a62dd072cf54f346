//! What becomes of each span of the program: rebuilt into its envelope ([`envelope`]), read in
//! place as a [`document`], checked against the [`contract`] (the generated schemas), and
//! accepted or kept as a [`failure`] record; [`receive`] gives every span of a request its
//! outcome. No transport, no file.

pub(crate) mod contract;
pub(crate) mod document;
pub(crate) mod envelope;
pub(crate) mod failure;
pub(crate) mod receive;
