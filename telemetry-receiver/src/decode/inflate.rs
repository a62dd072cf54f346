//! The only code that inflates a body (gzip, zlib's deflate, zstd: what the OpenTelemetry
//! Collector takes), and it stops at its limit: a bomb costs the receiver no more than
//! [`Limits::max_inflated_bytes`](crate::Limits::max_inflated_bytes).

use std::borrow::Cow;
use std::io::Read;

use flate2::read::{MultiGzDecoder, ZlibDecoder};

use super::Compression;

/// Why a body could not be inflated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum InflateError {
    /// It inflates past the limit.
    TooLarge,
    /// It is not gzip, or is cut short.
    Corrupt(String),
}

/// `body`, compressed as `compression` says, inflated: at most `limit` bytes of it (a body not
/// compressed is itself, not a copy).
pub(crate) fn inflate(
    body: &[u8],
    compression: Compression,
    limit: usize,
) -> Result<Cow<'_, [u8]>, InflateError> {
    let (decoder, name): (Box<dyn Read + '_>, &str) = match compression {
        Compression::None => return Ok(Cow::Borrowed(body)),
        Compression::Gzip => (Box::new(MultiGzDecoder::new(body)), "gzip"),
        Compression::Deflate => (Box::new(ZlibDecoder::new(body)), "deflate (zlib)"),
        Compression::Zstd => {
            let decoder = ruzstd::decoding::StreamingDecoder::new(body)
                .map_err(|error| InflateError::Corrupt(format!("not zstd: {error}")))?;
            (Box::new(decoder), "zstd")
        }
    };
    let mut inflated = Vec::with_capacity(body.len().saturating_mul(4).min(limit));
    let bound = u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1);
    decoder
        .take(bound)
        .read_to_end(&mut inflated)
        .map_err(|error| InflateError::Corrupt(format!("not {name}, or cut short: {error}")))?;
    if inflated.len() > limit {
        return Err(InflateError::TooLarge);
    }
    Ok(Cow::Owned(inflated))
}

#[cfg(test)]
mod tests {
    use std::io::Write as _;

    use super::{Compression, InflateError};

    fn inflate(body: &[u8], limit: usize) -> Result<Vec<u8>, InflateError> {
        super::inflate(body, Compression::Gzip, limit).map(std::borrow::Cow::into_owned)
    }

    #[test]
    fn zlib_and_zstd_inflate_within_the_limit_too() {
        let mut zlib = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
        zlib.write_all(&vec![7; 1 << 20]).unwrap();
        let zlib = zlib.finish().unwrap();
        let zstd = ruzstd::encoding::compress_to_vec(
            &vec![7_u8; 1 << 20][..],
            ruzstd::encoding::CompressionLevel::Fastest,
        );
        for (compression, body) in [(Compression::Deflate, zlib), (Compression::Zstd, zstd)] {
            assert_eq!(
                super::inflate(&body, compression, 1 << 20).unwrap().len(),
                1 << 20
            );
            assert_eq!(
                super::inflate(&body, compression, (1 << 20) - 1),
                Err(InflateError::TooLarge)
            );
            assert!(matches!(
                super::inflate(&body[..body.len() / 2], compression, 1 << 20),
                Err(InflateError::Corrupt(_))
            ));
        }
    }

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
