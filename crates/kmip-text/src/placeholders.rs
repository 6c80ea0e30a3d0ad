//! Test-case placeholders (`$NOW`, `$UNIQUE_IDENTIFIER_0`, `$IV_COUNTER_NONCE`, ...): the OASIS
//! profile test cases write them where the server chooses the value (KMIP Profiles 1.4 §8.4.1).

use kmip_ttlv::{Placeholder, Ttlv, Value};

/// Replaces every placeholder in `item` by the value `bind` returns for it; placeholders for
/// which `bind` returns `None` stay. Returns how many stay.
pub fn bind(item: &mut Ttlv, bind: &mut impl FnMut(&Placeholder) -> Option<Value>) -> usize {
    match &mut item.value {
        Value::Structure(items) => items.iter_mut().map(|i| self::bind(i, bind)).sum(),
        Value::Placeholder(p) => match bind(p) {
            Some(v) => {
                item.value = v;
                0
            }
            None => 1,
        },
        _ => 0,
    }
}

/// The placeholders in `item`, in document order.
pub fn placeholders(item: &Ttlv) -> Vec<&Placeholder> {
    let mut out = Vec::new();
    item.walk(&mut |i| {
        if let Value::Placeholder(p) = &i.value {
            out.push(p);
        }
    });
    out
}

/// The parts of a placeholder: its name and, for `$NOW+n` / `$NOW-n`, a signed offset in
/// seconds.
pub fn parts(p: &Placeholder) -> (&str, i64) {
    let body = p.text.trim_start_matches('$');
    match body.find(['+', '-']) {
        Some(i) => {
            let (name, offset) = body.split_at(i);
            (name, offset.parse().unwrap_or(0))
        }
        None => (body, 0),
    }
}
