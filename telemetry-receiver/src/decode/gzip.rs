//! The only code that inflates a body, and it stops at its limit: a gzip bomb costs the receiver
//! no more than [`Limits::max_inflated_bytes`](crate::Limits::max_inflated_bytes).

use std::io::Read as _;

use flate2::read::MultiGzDecoder;

/// Why a body could not be inflated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum InflateError {
    /// It inflates past the limit.
    TooLarge,
    /// It is not gzip, or is cut short.
    Corrupt(String),
}

/// `body` inflated, at most `limit` bytes of it.
pub(crate) fn inflate(body: &[u8], limit: usize) -> Result<Vec<u8>, InflateError> {
    let mut inflated = Vec::with_capacity(body.len().saturating_mul(4).min(limit));
    let bound = u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1);
    MultiGzDecoder::new(body)
        .take(bound)
        .read_to_end(&mut inflated)
        .map_err(|error| InflateError::Corrupt(format!("not gzip, or cut short: {error}")))?;
    if inflated.len() > limit {
        return Err(InflateError::TooLarge);
    }
    Ok(inflated)
}

#[cfg(test)]
mod tests {
    use std::io::Write as _;

    use super::{InflateError, inflate};

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        encoder.write_all(bytes).unwrap();
        encoder.finish().unwrap()
    }

    #[test]
    fn inflates_up_to_the_limit_and_no_further() {
        assert_eq!(inflate(&gzip(b"hello"), 5).unwrap(), b"hello");
        assert_eq!(inflate(&gzip(b"hello"), 4), Err(InflateError::TooLarge));
        let bomb = gzip(&vec![0; 64 << 20]);
        assert!(bomb.len() < 100 << 10, "{} bytes", bomb.len());
        assert_eq!(inflate(&bomb, 1 << 20), Err(InflateError::TooLarge));
    }

    #[test]
    fn what_is_not_gzip_or_cut_short_is_corrupt() {
        assert!(matches!(
            inflate(b"plain text", 100),
            Err(InflateError::Corrupt(_))
        ));
        let whole = gzip(b"hello world");
        assert!(matches!(
            inflate(&whole[..whole.len() - 6], 100),
            Err(InflateError::Corrupt(_))
        ));
    }
}
