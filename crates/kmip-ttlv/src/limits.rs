//! Explicit bounds for decoding untrusted input (DESIGN.md invariant 7).

/// Bounds the decoder enforces before it allocates. Memory used by a decoded tree is bounded
/// by `max_message_len` (every item costs at least 8 input bytes) and `max_items`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest message accepted, header included, in bytes.
    pub max_message_len: usize,
    /// Deepest nesting of Structures accepted; the message itself is depth 1.
    pub max_depth: usize,
    /// Most items accepted in one message, the message itself included.
    pub max_items: usize,
}

impl Limits {
    /// Default largest message: 1 MiB, far above any key-management request seen in practice
    /// (vCenter's largest is under 1 KiB; a 4096-bit RSA private key in Transparent form is
    /// under 3 KiB).
    pub const DEFAULT_MAX_MESSAGE_LEN: usize = 1 << 20;
    /// Default deepest nesting: OASIS test cases reach 8.
    pub const DEFAULT_MAX_DEPTH: usize = 32;
    /// Default most items.
    pub const DEFAULT_MAX_ITEMS: usize = 65_536;
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_message_len: Self::DEFAULT_MAX_MESSAGE_LEN,
            max_depth: Self::DEFAULT_MAX_DEPTH,
            max_items: Self::DEFAULT_MAX_ITEMS,
        }
    }
}
