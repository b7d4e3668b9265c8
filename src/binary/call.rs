//! What a call to `PyErr_Format` or `__Pyx_ImportType` tells, once an architecture decoder has
//! worked out its arguments. Shared by the x86_64 and aarch64 decoders, which differ only in how
//! arguments reach the callee.

use std::collections::HashMap;

use super::object_file::Container;
use super::strings::Anchor;
use super::{CodeFacts, TypeHit};

/// What a decoder knows of a register or stack slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Val {
    Unknown,
    Imm(u64),
    Addr(u64),
}

/// A call's arguments by position in the C signature (0-based), as the ABI passed them.
pub(crate) struct CallArgs {
    pub args: [Val; 6],
    /// `PyErr_Format`'s first variadic argument: position 2, except on Apple arm64, where
    /// variadic arguments go on the stack.
    pub vararg: Val,
}

/// Record what the call at `call` shows: a NumPy ABI/feature constant next to its format string
/// (docs/binary-evidence.md#x86-64-immediates), or a Cython type-size check (module, class name,
/// size, then alignment and/or check_size: docs/binary-evidence.md#cython-sizes).
pub(crate) fn record(
    c: &Container<'_>,
    anchors: &HashMap<u64, Anchor>,
    a: &CallArgs,
    call: u64,
    out: &mut CodeFacts,
) {
    let anchor_of = |v: Val| match v {
        Val::Addr(x) => anchors.get(&x).copied(),
        _ => None,
    };
    let imm_of = |v: Val| match v {
        Val::Imm(x) => Some(x),
        _ => None,
    };
    if let Some(kind @ (Anchor::AbiFormat | Anchor::ApiFormat)) = anchor_of(a.args[1]) {
        if let Some(v) = imm_of(a.vararg) {
            let v = v & 0xffff_ffff; // `%x` of an int: the 32-bit value
            if kind == Anchor::AbiFormat {
                out.abi.push((call, v));
            } else {
                out.feature.push((call, v));
            }
        }
        return;
    }
    let Some(Anchor::TypeName(index)) = anchor_of(a.args[2]) else {
        return;
    };
    let Some(size) = imm_of(a.args[3]) else {
        return;
    };
    // The module-name argument: "numpy", another string (reject: e.g. builtins), or unknown.
    let module_is_numpy = match a.args[1] {
        Val::Addr(x) => match anchors.get(&x) {
            Some(Anchor::Numpy) => Some(true),
            _ if c.rodata_at(x).is_some() => Some(false),
            _ => None,
        },
        _ => None,
    };
    if module_is_numpy == Some(false) {
        return;
    }
    // Two anchors in one window (class name and "numpy") evaluate the same call twice.
    if out
        .types
        .iter()
        .any(|t| t.call == call && t.index == index && t.size == size)
    {
        return;
    }
    out.types.push(TypeHit {
        call,
        index,
        size,
        check_size: pick_check(a.args[4], a.args[5]),
        module_known: module_is_numpy.is_some(),
    });
}

/// check_size is the argument after the size (gcc constprop clone without alignment, Cython 0.29
/// without alignment) or the one after the alignment (Cython 3 full call). Values are the enum
/// `__Pyx_ImportType_CheckSize` (Error 0, Warn 1, Ignore 2); alignment is >= 4 for NumPy
/// structs, so the two readings cannot be confused when both are known.
pub(crate) fn pick_check(first: Val, second: Val) -> Option<u8> {
    let small = |v: Val| match v {
        Val::Imm(x) if x <= 2 => Some(x as u8),
        _ => None,
    };
    match (first, second) {
        (Val::Imm(a), s) if a > 2 => small(s),
        (f, Val::Unknown | Val::Addr(_)) => small(f),
        (f, Val::Imm(b)) if b > 2 => small(f),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_size_pick() {
        assert_eq!(pick_check(Val::Imm(2), Val::Unknown), Some(2));
        assert_eq!(pick_check(Val::Imm(8), Val::Imm(1)), Some(1));
        assert_eq!(pick_check(Val::Imm(0), Val::Imm(2)), None);
        assert_eq!(pick_check(Val::Unknown, Val::Unknown), None);
    }
}
