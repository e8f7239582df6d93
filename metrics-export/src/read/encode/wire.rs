//! The protobuf wire format, written by hand into a `Vec<u8>`: varints,
//! zigzag, field keys, and length-delimited fields.

/// Wire type of varints.
pub(crate) const VARINT: u8 = 0;
/// Wire type of 64-bit fixed values (`double`).
pub(crate) const FIXED64: u8 = 1;
/// Wire type of length-delimited values (strings, messages).
pub(crate) const LEN: u8 = 2;

/// Appends `v` as a varint.
#[inline]
pub(crate) fn varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push(v as u8 | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// The key of field `field` with wire type `wire`.
#[inline]
pub(crate) fn key(out: &mut Vec<u8>, field: u32, wire: u8) {
    varint(out, u64::from(field << 3 | u32::from(wire)));
}

/// A `uint64` (or `int64` / `int32` / enum, as their non-negative values
/// encode the same) field.
#[inline]
pub(crate) fn uint(out: &mut Vec<u8>, field: u32, v: u64) {
    key(out, field, VARINT);
    varint(out, v);
}

/// An `int64` field (negative values take ten bytes, as protobuf says).
#[inline]
pub(crate) fn int(out: &mut Vec<u8>, field: u32, v: i64) {
    uint(out, field, v as u64)
}

/// A `sint32` / `sint64` field (zigzag).
#[inline]
pub(crate) fn sint(out: &mut Vec<u8>, field: u32, v: i64) {
    uint(out, field, ((v << 1) ^ (v >> 63)) as u64)
}

/// A `double` field.
#[inline]
pub(crate) fn double(out: &mut Vec<u8>, field: u32, v: f64) {
    key(out, field, FIXED64);
    out.extend_from_slice(&v.to_le_bytes());
}

/// A `string` / `bytes` / embedded message field from its encoded bytes.
#[inline]
pub(crate) fn bytes(out: &mut Vec<u8>, field: u32, v: &[u8]) {
    key(out, field, LEN);
    varint(out, v.len() as u64);
    out.extend_from_slice(v);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_and_zigzag() {
        let mut out = Vec::new();
        varint(&mut out, 300);
        assert_eq!(out, [0xac, 0x02]);
        out.clear();
        sint(&mut out, 1, -1);
        assert_eq!(out, [0x08, 0x01]);
        out.clear();
        sint(&mut out, 1, 1);
        assert_eq!(out, [0x08, 0x02]);
        out.clear();
        int(&mut out, 1, -1);
        assert_eq!(out.len(), 11);
    }
}
