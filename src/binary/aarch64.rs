//! Step B of docs/binary-evidence.md for AArch64 (ELF, Mach-O arm64, PE arm64).
//!
//! Why no disassembler crate: we need eight encodings (ADRP, ADR, ADD immediate, MOVZ/MOVN/MOVK,
//! ORR-register alias of MOV, LDR literal, STR to `[sp]`, BL/BLR/B/RET), all fixed 32-bit words
//! with the fields documented in the Arm ARM (C6.2). yaxpeax-arm or capstone-rs would bring a
//! full decoder (and, for capstone, a C library) to produce text we would parse back; a mask and
//! compare per word is simpler, allocation-free and fuzz-safe by construction.
//!
//! Unlike x86, AArch64 decodes linearly from any 4-byte boundary, so the whole code section is
//! walked once while register contents are tracked (docs/binary-evidence.md#aarch64-immediates):
//! `adrp x2,PAGE; add x2,x2,#off` → class name, `mov x3,#imm` → size, `mov w4,#2` → check_size,
//! `adrp x1; add x1; mov w2,#0x10; bl PyErr_Format` → feature version. Constants that need two
//! instructions (0x01000009) are reassembled from MOVZ+MOVK. At a call, caller-saved x0–x18 die;
//! callee-saved x19–x28 keep page bases across calls (docs/binary-evidence.md#cython-sizes).
//!
//! Apple arm64 passes variadic arguments on the stack, so on Mach-O the PyErr_Format value is the
//! word stored at `[sp]`, not `w2`.

use std::collections::{HashMap, HashSet};

use super::call::{self, CallArgs, Val};
use super::object_file::{Container, Range};
use super::strings::Anchor;
use super::{CodeFacts, Format};

/// Register file: x0..x30; index 31 (xzr/sp) is never stored.
#[derive(Clone)]
struct State {
    regs: [Val; 31],
    /// The 8 bytes at `[sp]` (first stack argument).
    stack0: Val,
}

impl State {
    fn new() -> Self {
        State {
            regs: [Val::Unknown; 31],
            stack0: Val::Unknown,
        }
    }
    fn get(&self, r: u32) -> Val {
        match self.regs.get(r as usize) {
            Some(v) => *v,
            None => Val::Imm(0), // xzr
        }
    }
    fn set(&mut self, r: u32, v: Val) {
        if let Some(slot) = self.regs.get_mut(r as usize) {
            *slot = v;
        }
    }
    fn clobber_call(&mut self) {
        for r in 0..=18 {
            self.regs[r] = Val::Unknown;
        }
        self.regs[30] = Val::Unknown;
        self.stack0 = Val::Unknown;
    }
}

fn sign_extend(v: u64, bits: u32) -> i64 {
    let shift = 64 - bits;
    ((v << shift) as i64) >> shift
}

/// Decoded forms we react to.
#[derive(Debug, PartialEq, Eq)]
enum Insn {
    Adrp {
        rd: u32,
        page: u64,
    },
    Adr {
        rd: u32,
        addr: u64,
    },
    AddImm {
        sf: bool,
        rd: u32,
        rn: u32,
        imm: u64,
    },
    MovWide {
        sf: bool,
        op: MovOp,
        rd: u32,
        imm: u64,
        shift: u32,
    },
    MovReg {
        sf: bool,
        rd: u32,
        rm: u32,
    },
    LdrLiteral {
        wide: bool,
        rt: u32,
        addr: u64,
    },
    StrSp0 {
        rt: u32,
    },
    Call,
    /// B or BR; `target` for B.
    Branch {
        target: Option<u64>,
    },
    /// B.cond, CBZ/CBNZ, TBZ/TBNZ.
    CondBranch {
        target: u64,
    },
    Ret,
    /// `stp x29, x30, [sp, #imm]` (pre-index or offset): a function prologue.
    Prologue,
    /// Writes these registers with something we do not track.
    Writes([Option<u32>; 2]),
    NoWrite,
}

#[derive(Debug, PartialEq, Eq, Clone, Copy)]
enum MovOp {
    Z,
    N,
    K,
}

/// Decode one word at address `pc` (Arm ARM C4.1 top-level encoding groups).
fn decode(w: u32, pc: u64) -> Insn {
    let rd = w & 31;
    let rn = (w >> 5) & 31;
    if w & 0x9f00_0000 == 0x9000_0000 || w & 0x9f00_0000 == 0x1000_0000 {
        let immlo = u64::from((w >> 29) & 3);
        let immhi = u64::from((w >> 5) & 0x7ffff);
        let imm = sign_extend((immhi << 2) | immlo, 21);
        return if w & 0x8000_0000 != 0 {
            Insn::Adrp {
                rd,
                page: (pc & !0xfff).wrapping_add((imm << 12) as u64),
            }
        } else {
            Insn::Adr {
                rd,
                addr: pc.wrapping_add(imm as u64),
            }
        };
    }
    // ADD (immediate), 32/64-bit, no flags: sf 0 0 100010 sh imm12 Rn Rd.
    if w & 0x7f80_0000 == 0x1100_0000 {
        let sh = (w >> 22) & 1;
        let imm = u64::from((w >> 10) & 0xfff) << (12 * sh);
        return Insn::AddImm {
            sf: w >> 31 == 1,
            rd,
            rn,
            imm,
        };
    }
    // Move wide (immediate): sf opc 100101 hw imm16 Rd; opc 00 MOVN, 10 MOVZ, 11 MOVK.
    if w & 0x1f80_0000 == 0x1280_0000 {
        let sf = w >> 31 == 1;
        let hw = (w >> 21) & 3;
        if !sf && hw > 1 {
            return Insn::Writes([Some(rd), None]);
        }
        let op = match (w >> 29) & 3 {
            0 => MovOp::N,
            2 => MovOp::Z,
            3 => MovOp::K,
            _ => return Insn::Writes([Some(rd), None]),
        };
        return Insn::MovWide {
            sf,
            op,
            rd,
            imm: u64::from((w >> 5) & 0xffff),
            shift: hw * 16,
        };
    }
    // MOV (register) = ORR Rd, ZR, Rm (shift 0, imm6 0).
    if w & 0x7fe0_ffe0 == 0x2a00_03e0 {
        return Insn::MovReg {
            sf: w >> 31 == 1,
            rd,
            rm: (w >> 16) & 31,
        };
    }
    // LDR (literal) 32/64-bit: 0 x 011 0 00 imm19 Rt.
    if w & 0xbf00_0000 == 0x1800_0000 {
        let imm = sign_extend(u64::from((w >> 5) & 0x7ffff) << 2, 21);
        return Insn::LdrLiteral {
            wide: w & 0x4000_0000 != 0,
            rt: rd,
            addr: pc.wrapping_add(imm as u64),
        };
    }
    // STR (immediate, unsigned offset) 32/64 to [sp, #0].
    if (w & 0xffc0_0000 == 0xf900_0000 || w & 0xffc0_0000 == 0xb900_0000)
        && rn == 31
        && (w >> 10) & 0xfff == 0
    {
        return Insn::StrSp0 { rt: rd };
    }
    // STP (signed offset) 64-bit to [sp, #0]: Apple clang stores the varargs pair this way.
    if w & 0xffc0_7fe0 == 0xa900_03e0 {
        return Insn::StrSp0 { rt: rd };
    }
    // BL, BLR.
    if w & 0xfc00_0000 == 0x9400_0000 || w & 0xffff_fc1f == 0xd63f_0000 {
        return Insn::Call;
    }
    // B, BR.
    if w & 0xfc00_0000 == 0x1400_0000 {
        let imm = sign_extend(u64::from(w & 0x03ff_ffff) << 2, 28);
        return Insn::Branch {
            target: Some(pc.wrapping_add(imm as u64)),
        };
    }
    if w & 0xffff_fc1f == 0xd61f_0000 {
        return Insn::Branch { target: None };
    }
    // B.cond; CBZ/CBNZ; TBZ/TBNZ.
    if w & 0xff00_0010 == 0x5400_0000 || w & 0x7e00_0000 == 0x3400_0000 {
        let imm = sign_extend(u64::from((w >> 5) & 0x7ffff) << 2, 21);
        return Insn::CondBranch {
            target: pc.wrapping_add(imm as u64),
        };
    }
    if w & 0x7e00_0000 == 0x3600_0000 {
        let imm = sign_extend(u64::from((w >> 5) & 0x3fff) << 2, 16);
        return Insn::CondBranch {
            target: pc.wrapping_add(imm as u64),
        };
    }
    if w & 0xffff_fc1f == 0xd65f_0000 {
        return Insn::Ret;
    }
    if w & 0xffc0_7fff == 0xa980_7bfd || w & 0xffc0_7fff == 0xa900_7bfd {
        return Insn::Prologue;
    }
    let op0 = (w >> 25) & 0xf;
    // Branches, exception generation, system (op0 101x): no GPR writes except MRS / SYSL.
    if op0 & 0b1110 == 0b1010 {
        if w & 0xfff0_0000 == 0xd530_0000 || w & 0xfff8_0000 == 0xd528_0000 {
            return Insn::Writes([Some(rd), None]);
        }
        return Insn::NoWrite;
    }
    // Loads and stores (op0 x1x0).
    if op0 & 0b0101 == 0b0100 {
        let class = (w >> 27) & 7;
        let is_store = match class {
            0b111 => (w >> 22) & 3 == 0, // single register: opc 00 = store
            0b101 => (w >> 22) & 1 == 0, // pair: L = 0
            _ => false,                  // exclusives/atomics/literals: assume a write
        };
        if is_store {
            return Insn::NoWrite;
        }
        let rt2 = (class == 0b101).then_some((w >> 10) & 31);
        return Insn::Writes([Some(rd), rt2]);
    }
    // Data processing (immediate, register, SIMD&FP moves to GPRs): Rd in bits 0-4.
    Insn::Writes([Some(rd), None])
}

/// Read a little-endian value of `len` bytes at `addr` in the code ranges (literal pools).
fn read_code(code: &[Range<'_>], addr: u64, len: usize) -> Option<u64> {
    let bytes = code.iter().find_map(|r| r.tail_at(addr))?.get(..len)?;
    let mut v = [0u8; 8];
    v.get_mut(..len)?.copy_from_slice(bytes);
    Some(u64::from_le_bytes(v))
}

fn step(st: &mut State, insn: Insn, code: &[Range<'_>]) {
    match insn {
        Insn::Adrp { rd, page } => st.set(rd, Val::Addr(page)),
        Insn::Adr { rd, addr } => st.set(rd, Val::Addr(addr)),
        Insn::AddImm { sf, rd, rn, imm } => {
            let v = if rn == 31 {
                Val::Unknown // add from sp
            } else {
                match (st.get(rn), sf) {
                    (Val::Addr(a), true) => Val::Addr(a.wrapping_add(imm)),
                    (Val::Imm(x), true) => Val::Imm(x.wrapping_add(imm)),
                    (Val::Imm(x), false) => Val::Imm(x.wrapping_add(imm) & 0xffff_ffff),
                    _ => Val::Unknown,
                }
            };
            if rd != 31 {
                st.set(rd, v);
            }
        }
        Insn::MovWide {
            sf,
            op,
            rd,
            imm,
            shift,
        } => {
            let mask = if sf { u64::MAX } else { 0xffff_ffff };
            let v = match op {
                MovOp::Z => Val::Imm(imm << shift),
                MovOp::N => Val::Imm(!(imm << shift) & mask),
                MovOp::K => match st.get(rd) {
                    Val::Imm(old) => Val::Imm(((old & !(0xffff << shift)) | (imm << shift)) & mask),
                    _ => Val::Unknown,
                },
            };
            st.set(rd, v);
        }
        Insn::MovReg { sf, rd, rm } => {
            let v = match (st.get(rm), sf) {
                (v, true) => v,
                (Val::Imm(x), false) => Val::Imm(x & 0xffff_ffff),
                _ => Val::Unknown,
            };
            st.set(rd, v);
        }
        Insn::LdrLiteral { wide, rt, addr } => {
            let v = read_code(code, addr, if wide { 8 } else { 4 });
            st.set(rt, v.map(Val::Imm).unwrap_or(Val::Unknown));
        }
        Insn::StrSp0 { rt } => st.stack0 = st.get(rt),
        // After a return the next instructions may still belong to the same function (gcc puts
        // error blocks after the `ret`, reading constants kept in x19-x28, e.g. pandas 2.2.3
        // aarch64 `json`: `mov w2, w19` with w19 = 0x2000000 set before the `ret`), so only
        // caller-saved registers die there; everything dies at the next function's prologue.
        Insn::Call | Insn::Branch { .. } | Insn::Ret => st.clobber_call(),
        Insn::CondBranch { .. } => {}
        Insn::Prologue => *st = State::new(),
        Insn::Writes(regs) => {
            for r in regs.into_iter().flatten() {
                st.set(r, Val::Unknown);
            }
        }
        Insn::NoWrite => {}
    }
}

/// Walk all code ranges.
pub(crate) fn analyse(c: &Container<'_>, anchors: &HashMap<u64, Anchor>) -> CodeFacts {
    let mut out = CodeFacts::default();
    if !anchors.values().any(|a| {
        matches!(
            a,
            Anchor::AbiFormat | Anchor::ApiFormat | Anchor::TypeName(_)
        )
    }) {
        return out;
    }
    let apple_varargs = c.format == Format::MachO;
    // Pages holding anchors: a branch is only worth following when some register already points
    // into one, or the target block computes such an address (keeps the walk near linear-time).
    let pages: HashSet<u64> = anchors.keys().map(|a| a & !0xfff).collect();
    for range in &c.code {
        let mut st = State::new();
        for (i, chunk) in range.data.chunks_exact(4).enumerate() {
            let w = u32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
            let pc = range.addr.wrapping_add((i as u64) * 4);
            let insn = decode(w, pc);
            match insn {
                Insn::Call => evaluate(c, &st, anchors, apple_varargs, pc, &mut out),
                // The linear walk does not see the state a branch carries to its target: error
                // blocks placed after the function body read constants set before the branch
                // (pandas 2.2.3 aarch64 `json`: `b.hi` to a block doing `mov w2, w19`), and clang
                // shares one PyErr_Format call between the ABI and API paths (`b` to the call).
                // Follow each branch for a few instructions with the state at the branch.
                Insn::CondBranch { target, .. }
                | Insn::Branch {
                    target: Some(target),
                } if worth_following(&st, range, target, &pages) => follow(
                    c,
                    range,
                    target,
                    st.clone(),
                    anchors,
                    apple_varargs,
                    &mut out,
                ),
                _ => {}
            }
            step(&mut st, insn, &c.code);
        }
    }
    out
}

fn worth_following(st: &State, range: &Range<'_>, target: u64, pages: &HashSet<u64>) -> bool {
    let in_page = |v: &Val| matches!(v, Val::Addr(a) if pages.contains(&(a & !0xfff)));
    if st.regs.iter().any(in_page) {
        return true;
    }
    let Some(bytes) = range.tail_at(target) else {
        return false;
    };
    bytes
        .chunks_exact(4)
        .take(FOLLOW)
        .enumerate()
        .any(|(i, c)| {
            let w = u32::from_le_bytes([c[0], c[1], c[2], c[3]]);
            match decode(w, target.wrapping_add((i as u64) * 4)) {
                Insn::Adrp { page, .. } => pages.contains(&page),
                Insn::Adr { addr, .. } => pages.contains(&(addr & !0xfff)),
                _ => false,
            }
        })
}

/// Instructions simulated after a branch.
const FOLLOW: usize = 16;

fn follow(
    c: &Container<'_>,
    range: &Range<'_>,
    target: u64,
    mut st: State,
    anchors: &HashMap<u64, Anchor>,
    apple_varargs: bool,
    out: &mut CodeFacts,
) {
    let Some(bytes) = range.tail_at(target) else {
        return;
    };
    if !target.is_multiple_of(4) {
        return;
    }
    for (i, chunk) in bytes.chunks_exact(4).take(FOLLOW).enumerate() {
        let w = u32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
        let pc = target.wrapping_add((i as u64) * 4);
        let insn = decode(w, pc);
        match insn {
            Insn::Call => evaluate(c, &st, anchors, apple_varargs, pc, out),
            Insn::Branch { .. } | Insn::CondBranch { .. } | Insn::Ret | Insn::Prologue => return,
            _ => {}
        }
        step(&mut st, insn, &c.code);
    }
}

fn evaluate(
    c: &Container<'_>,
    st: &State,
    anchors: &HashMap<u64, Anchor>,
    apple_varargs: bool,
    call: u64,
    out: &mut CodeFacts,
) {
    let args = [0, 1, 2, 3, 4, 5].map(|r| st.get(r));
    let vararg = if apple_varargs { st.stack0 } else { args[2] };
    call::record(c, anchors, &CallArgs { args, vararg }, call, out);
}

#[cfg(test)]
mod tests {
    use super::*;

    // Hand-assembled words (checked against `aarch64-linux-gnu-as`).
    const ADRP_X1_PLUS_1_PAGE: u32 = 0xb000_0001; // adrp x1, pc_page + 0x1000
    const ADD_X1_X1_0X10: u32 = 0x9100_4021; // add x1, x1, #0x10
    const MOV_W2_0X10: u32 = 0x5280_0202; // mov w2, #0x10
    const MOV_W25_9: u32 = 0x5280_0139; // mov w25, #0x9
    const MOVK_W25_0X100_LSL16: u32 = 0x72a0_2019; // movk w25, #0x100, lsl #16
    const MOV_W2_W25: u32 = 0x2a19_03e2; // mov w2, w25
    const BL_0: u32 = 0x9400_0000; // bl .
    const ADRP_X2_PLUS_1_PAGE: u32 = 0xb000_0002; // adrp x2, pc_page + 0x1000
    const ADD_X2_X2_0X20: u32 = 0x9100_8042; // add x2, x2, #0x20
    const MOV_X3_0X60: u32 = 0xd280_0c03; // mov x3, #0x60
    const MOV_W4_2: u32 = 0x5280_0044; // mov w4, #0x2
    const MOVN_X0_0: u32 = 0x9280_0000; // mov x0, #-1
    const RET: u32 = 0xd65f_03c0;

    fn container<'a>(code: &'a [u8], format: Format) -> Container<'a> {
        Container {
            format,
            arch: super::super::Arch::Aarch64,
            code: vec![Range {
                addr: 0x4000,
                data: code,
            }],
            rodata: vec![Range {
                addr: 0x5000,
                data: &[0u8; 0x100],
            }],
            module_init: None,
            needed: vec![],
            exports: vec![],
            imports: vec![],
            problems: vec![],
        }
    }

    fn words(ws: &[u32]) -> Vec<u8> {
        ws.iter().flat_map(|w| w.to_le_bytes()).collect()
    }

    #[test]
    fn decodes_single_forms() {
        assert_eq!(
            decode(ADRP_X1_PLUS_1_PAGE, 0x4004),
            Insn::Adrp {
                rd: 1,
                page: 0x5000
            }
        );
        assert_eq!(
            decode(ADD_X1_X1_0X10, 0),
            Insn::AddImm {
                sf: true,
                rd: 1,
                rn: 1,
                imm: 0x10
            }
        );
        assert_eq!(
            decode(MOV_W2_0X10, 0),
            Insn::MovWide {
                sf: false,
                op: MovOp::Z,
                rd: 2,
                imm: 0x10,
                shift: 0
            }
        );
        assert_eq!(
            decode(MOVK_W25_0X100_LSL16, 0),
            Insn::MovWide {
                sf: false,
                op: MovOp::K,
                rd: 25,
                imm: 0x100,
                shift: 16
            }
        );
        assert_eq!(
            decode(MOV_W2_W25, 0),
            Insn::MovReg {
                sf: false,
                rd: 2,
                rm: 25
            }
        );
        assert_eq!(decode(BL_0, 0), Insn::Call);
        assert_eq!(decode(0xd63f_0000, 0), Insn::Call); // blr x0
        assert_eq!(decode(RET, 0), Insn::Ret);
        assert_eq!(decode(0xa9bd_7bfd, 0), Insn::Prologue); // stp x29, x30, [sp, #-48]!
        assert_eq!(decode(0xf900_03e8, 0), Insn::StrSp0 { rt: 8 }); // str x8, [sp]
        assert_eq!(decode(0xf940_0000, 0), Insn::Writes([Some(0), None])); // ldr x0, [x0]
        assert_eq!(decode(0xf900_0001, 0), Insn::NoWrite); // str x1, [x0]
        assert_eq!(
            decode(0x1800_0042, 0x100),
            Insn::LdrLiteral {
                wide: false,
                rt: 2,
                addr: 0x108
            }
        ); // ldr w2, .+8
        let mut st = State::new();
        step(&mut st, decode(MOVN_X0_0, 0), &[]);
        assert_eq!(st.get(0), Val::Imm(u64::MAX));
    }

    #[test]
    fn pyerr_format_with_movz_movk() {
        // ABI 0x01000009 needs movz+movk (docs/binary-evidence.md#aarch64-immediates), kept in
        // callee-saved w25 across a call.
        let code = words(&[
            MOV_W25_9,
            MOVK_W25_0X100_LSL16,
            BL_0,
            ADRP_X1_PLUS_1_PAGE,
            ADD_X1_X1_0X10,
            MOV_W2_W25,
            BL_0,
            ADRP_X1_PLUS_1_PAGE,
            ADD_X1_X1_0X10,
            MOV_W2_0X10,
            BL_0,
        ]);
        let mut anchors = HashMap::new();
        anchors.insert(0x5010, Anchor::AbiFormat);
        let c = container(&code, Format::Elf);
        let f = analyse(&c, &anchors);
        assert_eq!(
            f.abi.iter().map(|x| x.1).collect::<Vec<_>>(),
            vec![0x0100_0009, 0x10]
        );
    }

    #[test]
    fn cython_import_and_apple_varargs() {
        let code = words(&[
            ADRP_X2_PLUS_1_PAGE,
            ADD_X2_X2_0X20,
            MOV_X3_0X60,
            MOV_W4_2,
            BL_0,
            RET,
            0xa9bd_7bfd,
            ADRP_X1_PLUS_1_PAGE,
            ADD_X1_X1_0X10,
            0x5280_01c8, // mov w8, #0xe
            0xf900_03e8, // str x8, [sp]
            BL_0,
        ]);
        let mut anchors = HashMap::new();
        anchors.insert(0x5020, Anchor::TypeName(3));
        anchors.insert(0x5010, Anchor::ApiFormat);
        let c = container(&code, Format::MachO);
        let f = analyse(&c, &anchors);
        assert_eq!(f.types.len(), 1);
        assert_eq!((f.types[0].index, f.types[0].size), (3, 0x60));
        assert_eq!(f.types[0].check_size, Some(2));
        assert_eq!(f.feature.iter().map(|x| x.1).collect::<Vec<_>>(), vec![0xe]);
    }

    #[test]
    fn values_die_at_calls_and_garbage_is_fine() {
        let code = words(&[MOV_W2_0X10, BL_0, ADRP_X1_PLUS_1_PAGE, ADD_X1_X1_0X10, BL_0]);
        let mut anchors = HashMap::new();
        anchors.insert(0x5010, Anchor::ApiFormat);
        let c = container(&code, Format::Elf);
        assert!(analyse(&c, &anchors).feature.is_empty());
        let junk: Vec<u8> = (0..40_000u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 11) as u8)
            .collect();
        let c = container(&junk[..39_999], Format::Elf);
        let _ = analyse(&c, &anchors);
    }
}
