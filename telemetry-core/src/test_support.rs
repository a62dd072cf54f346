//! Seeded random inputs for the tests that compare an optimised path with the straightforward
//! one: reproducible, and rich in what breaks JSON writers (escapes, control characters,
//! non-ASCII, empty values).

/// `SplitMix64`: tiny, fast, and good enough to vary test inputs.
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number below `bound` (which must not be 0).
    pub(crate) fn below(&mut self, bound: u64) -> u64 {
        self.next() % bound
    }

    pub(crate) fn bool(&mut self) -> bool {
        self.next() & 1 == 1
    }

    /// Up to `max` characters, many of them awkward for JSON.
    pub(crate) fn string(&mut self, max: u64) -> String {
        const AWKWARD: &[char] = &[
            'a', 'Z', '0', ' ', '"', '\\', '/', '\n', '\r', '\t', '\u{0}', '\u{1f}', '\u{7f}', 'é',
            '€', '\u{2028}', '😀', '{', '}', '[', ']', ':', ',',
        ];
        let length = self.below(max + 1);
        (0..length)
            .map(|_| AWKWARD[usize::try_from(self.below(AWKWARD.len() as u64)).unwrap_or(0)])
            .collect()
    }
}
