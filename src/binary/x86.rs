//! Step B (docs/binary-evidence.md) for x86_64 (ELF and Mach-O: System V ABI; PE: Windows x64 ABI).
//!
//! We never disassemble a whole `.text`. One byte scan finds every RIP-relative `lea r64,
//! [rip+disp32]` (REX.W + `8D` + ModRM with mod=00 rm=101) whose target is an address Step A
//! flagged (format string, NumPy type name, `"numpy"`). Only around those hits is a small window
//! decoded with iced-x86: backwards to the previous call/jump (x86 is variable-length, so we
//! re-synchronise by trying start offsets until the decode lands exactly on the `lea`), forwards
//! to the next call. Register contents are tracked through the window (immediates, RIP-relative
//! addresses, register copies, a few stack argument slots); at the call the argument registers
//! give the values:
//!
//! * `PyErr_Format(exc, fmt, value)`: SysV fmt in `rsi`, value in `edx`; Win64 fmt in `rdx`, value
//!   in `r8d` (docs/binary-evidence.md#x86-64-immediates).
//! * `__Pyx_ImportType(module, module_name, class_name, size, [alignment,] check_size)`: SysV
//!   module name `rsi`, class `rdx`, size `rcx`, check_size `r8d` (gcc constprop clone without the
//!   alignment) or `r9d`; Win64 module name `rdx`, class `r8`, size `r9`, check_size on the stack
//!   at `[rsp+0x20]` (5th argument) or `[rsp+0x28]` (6th) (docs/binary-evidence.md#cython-sizes).

use std::collections::HashMap;
use std::ops::ControlFlow;

use iced_x86::{Decoder, DecoderOptions, Instruction, Mnemonic, OpKind, Register};

use super::call::{self, CallArgs, Val};
use super::object_file::{Container, Range};
use super::strings::Anchor;
use super::x86_scan;
use super::CodeFacts;

/// Bytes decoded before a hit, to find the start of its call window. The PyErr_Format and
/// ImportType argument set-up observed in gcc/clang output spans < 40 bytes before the `lea`.
const BACK: usize = 96;
/// Instructions decoded after a hit while looking for the call.
const FORWARD_INSNS: usize = 40;
/// Bound on windows decoded per binary (a malicious file could reference our strings a lot).
const MAX_WINDOWS: usize = 20_000;

#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Abi {
    SysV,
    Win64,
}

struct State {
    regs: [Val; 16],
    /// `[rsp+0x20]`, `[rsp+0x28]`: 5th and 6th Win64 arguments.
    stack: [Val; 2],
}

impl State {
    fn new() -> Self {
        State {
            regs: [Val::Unknown; 16],
            stack: [Val::Unknown; 2],
        }
    }
    fn clobber_call(&mut self, abi: Abi) {
        // Caller-saved registers die at a call; callee-saved ones (rbx, rbp, r12-r15, and on
        // Win64 rsi/rdi) survive, which matters because "numpy" is often kept in one (see
        // docs/binary-evidence.md#cython-sizes).
        let volatile: &[usize] = match abi {
            Abi::SysV => &[0, 1, 2, 6, 7, 8, 9, 10, 11],
            Abi::Win64 => &[0, 1, 2, 8, 9, 10, 11],
        };
        for &r in volatile {
            self.regs[r] = Val::Unknown;
        }
        self.stack = [Val::Unknown; 2];
    }
}

// GPR numbers (rax=0 ... r15=15).
const RCX: usize = 1;
const RDX: usize = 2;
const RSI: usize = 6;
const RDI: usize = 7;
const R8: usize = 8;
const R9: usize = 9;

// iced's `Register` lists EAX..R15D and RAX..R15 contiguously; its `full_register()` needs the
// `instr_info` feature, which we do not enable for four lines of arithmetic.
fn gpr64(reg: Register) -> Option<usize> {
    Some((reg as usize).wrapping_sub(Register::RAX as usize)).filter(|n| *n < 16)
}
fn gpr32(reg: Register) -> Option<usize> {
    Some((reg as usize).wrapping_sub(Register::EAX as usize)).filter(|n| *n < 16)
}
fn gpr16(reg: Register) -> Option<usize> {
    Some((reg as usize).wrapping_sub(Register::AX as usize)).filter(|n| *n < 16)
}
fn gpr8(reg: Register) -> Option<usize> {
    // AL..BL, AH..BH, SPL..DIL, R8L..R15L: the high-byte registers map to rax..rbx.
    let n = (reg as usize).wrapping_sub(Register::AL as usize);
    match n {
        0..=3 => Some(n),
        4..=7 => Some(n - 4),
        8..=19 => Some(n - 4),
        _ => None,
    }
}

/// The 64-bit register (0 = rax ... 15 = r15) a GPR belongs to.
fn gpr(reg: Register) -> Option<usize> {
    gpr64(reg)
        .or_else(|| gpr32(reg))
        .or_else(|| gpr16(reg))
        .or_else(|| gpr8(reg))
}

/// Is the register written as a full 32/64-bit value (so an immediate moved there is the whole
/// argument)? Partial writes (al, ax) leave the rest unknown.
fn full_width(reg: Register) -> bool {
    gpr64(reg).is_some() || gpr32(reg).is_some()
}

fn imm(instr: &Instruction, op: u32) -> Option<u64> {
    match instr.op_kind(op) {
        OpKind::Immediate8
        | OpKind::Immediate16
        | OpKind::Immediate32
        | OpKind::Immediate64
        | OpKind::Immediate8to32
        | OpKind::Immediate8to64
        | OpKind::Immediate32to64 => instr.try_immediate(op).ok(),
        _ => None,
    }
}

/// Apply one instruction to the state.
fn step(st: &mut State, instr: &Instruction, abi: Abi) {
    let m = instr.mnemonic();
    if m == Mnemonic::Call {
        st.clobber_call(abi);
        return;
    }
    // Stack argument slots (Win64 5th/6th arguments).
    if m == Mnemonic::Mov
        && instr.op0_kind() == OpKind::Memory
        && instr.memory_base() == Register::RSP
        && instr.memory_index() == Register::None
    {
        let slot = match instr.memory_displacement64() {
            0x20 => Some(0),
            0x28 => Some(1),
            _ => None,
        };
        if let Some(slot) = slot {
            st.stack[slot] = match (imm(instr, 1), instr.op1_kind()) {
                (Some(v), _) => Val::Imm(v),
                (None, OpKind::Register) => gpr(instr.op1_register())
                    .map(|r| st.regs[r])
                    .unwrap_or(Val::Unknown),
                _ => Val::Unknown,
            };
        }
        return;
    }
    if instr.op_count() == 0 || instr.op0_kind() != OpKind::Register {
        implicit_writes(st, m);
        return;
    }
    let dst_reg = instr.op0_register();
    let Some(dst) = gpr(dst_reg) else {
        implicit_writes(st, m);
        return;
    };
    let value = match m {
        Mnemonic::Mov if full_width(dst_reg) => match instr.op1_kind() {
            OpKind::Register => gpr(instr.op1_register())
                .filter(|_| full_width(instr.op1_register()))
                .map(|r| st.regs[r])
                .unwrap_or(Val::Unknown),
            _ => imm(instr, 1).map(Val::Imm).unwrap_or(Val::Unknown),
        },
        Mnemonic::Lea if instr.is_ip_rel_memory_operand() && gpr64(dst_reg).is_some() => {
            Val::Addr(instr.ip_rel_memory_address())
        }
        Mnemonic::Xor
            if instr.op1_kind() == OpKind::Register
                && instr.op1_register() == dst_reg
                && full_width(dst_reg) =>
        {
            Val::Imm(0)
        }
        // Reads only.
        Mnemonic::Cmp | Mnemonic::Test | Mnemonic::Push | Mnemonic::Bt => return,
        _ => Val::Unknown,
    };
    st.regs[dst] = value;
    if matches!(m, Mnemonic::Xchg | Mnemonic::Xadd | Mnemonic::Cmpxchg) {
        if let Some(r) = gpr(instr.op1_register()) {
            st.regs[r] = Val::Unknown;
        }
        st.regs[0] = Val::Unknown;
    }
    implicit_writes(st, m);
}

/// Registers some instructions write without naming them.
fn implicit_writes(st: &mut State, m: Mnemonic) {
    let regs: &[usize] = match m {
        Mnemonic::Mul
        | Mnemonic::Imul
        | Mnemonic::Div
        | Mnemonic::Idiv
        | Mnemonic::Cqo
        | Mnemonic::Cdq
        | Mnemonic::Cwd
        | Mnemonic::Rdtsc => &[0, 2],
        Mnemonic::Cpuid | Mnemonic::Syscall => &[0, 1, 2, 3, 11],
        Mnemonic::Movsb
        | Mnemonic::Movsw
        | Mnemonic::Movsd
        | Mnemonic::Movsq
        | Mnemonic::Stosb
        | Mnemonic::Stosw
        | Mnemonic::Stosd
        | Mnemonic::Stosq
        | Mnemonic::Cmpsb
        | Mnemonic::Scasb => &[1, 6, 7],
        Mnemonic::Pop => &[],
        _ => &[],
    };
    for &r in regs {
        st.regs[r] = Val::Unknown;
    }
}

/// Scan all code ranges.
pub(crate) fn analyse(c: &Container<'_>, anchors: &HashMap<u64, Anchor>, abi: Abi) -> CodeFacts {
    let mut out = CodeFacts::default();
    if anchors.is_empty() {
        return out;
    }
    let targets = Targets::new(anchors);
    let mut windows = 0usize;
    for range in &c.code {
        let flow = x86_scan::scan(range.data, &mut |start| {
            if !lea_hits_anchor(range, start, &targets) {
                return ControlFlow::Continue(());
            }
            if windows >= MAX_WINDOWS {
                out.problems.push(format!(
                    "more than {MAX_WINDOWS} code references; rest skipped"
                ));
                return ControlFlow::Break(());
            }
            windows += 1;
            window(c, range, start, anchors, abi, &mut out);
            ControlFlow::Continue(())
        });
        if flow.is_break() {
            return out;
        }
    }
    out
}

/// The anchor addresses, for the scan's hot path: about one byte in 200 of compiled code starts
/// a RIP-relative `lea`, and nearly all of them load something else. A range test rejects
/// targets outside [lowest, highest] anchor (most: code, data, other strings), a binary search of
/// the few (< 100 in real modules) sorted addresses settles the rest; both are cheaper than
/// hashing every target.
struct Targets {
    sorted: Vec<u64>,
    lo: u64,
    hi: u64,
}

impl Targets {
    fn new(anchors: &HashMap<u64, Anchor>) -> Self {
        let mut sorted: Vec<u64> = anchors.keys().copied().collect();
        sorted.sort_unstable();
        let lo = sorted.first().copied().unwrap_or(u64::MAX);
        let hi = sorted.last().copied().unwrap_or(0);
        Targets { sorted, lo, hi }
    }
    #[inline]
    fn contains(&self, addr: u64) -> bool {
        (self.lo..=self.hi).contains(&addr) && self.sorted.binary_search(&addr).is_ok()
    }
}

/// Is the `lea r64, [rip+disp32]` candidate at `start` (x86_scan) a load of an anchor's address?
#[inline]
fn lea_hits_anchor(range: &Range<'_>, start: usize, targets: &Targets) -> bool {
    let Some(&[d0, d1, d2, d3]) = range.data.get(start + 3..start + 7) else {
        return false;
    };
    let disp = i32::from_le_bytes([d0, d1, d2, d3]);
    let next = range.addr.wrapping_add(start as u64).wrapping_add(7);
    let target = next.wrapping_add(disp as i64 as u64);
    targets.contains(target)
}

fn decode_at<'a>(range: &Range<'a>, from: usize, to: usize) -> Option<Decoder<'a>> {
    let bytes = range.data.get(from..to)?;
    Some(Decoder::with_ip(
        64,
        bytes,
        range.addr.wrapping_add(from as u64),
        DecoderOptions::NONE,
    ))
}

/// Decode the window around the `lea` at `off` and evaluate the call that follows it.
fn window(
    c: &Container<'_>,
    range: &Range<'_>,
    off: usize,
    anchors: &HashMap<u64, Anchor>,
    abi: Abi,
    out: &mut CodeFacts,
) {
    let mut st = State::new();
    let mut instr = Instruction::default();
    // 1. Re-synchronise: the first start offset whose linear decode lands exactly on `off`.
    let lo = off.saturating_sub(BACK);
    for from in lo..off {
        let Some(mut dec) = decode_at(range, from, off) else {
            continue;
        };
        let mut ok = true;
        let mut trial = State::new();
        while dec.can_decode() {
            dec.decode_out(&mut instr);
            if instr.is_invalid() {
                ok = false;
                break;
            }
            match instr.mnemonic() {
                // A window starts after the previous call/jump: values set before it are not
                // this call's arguments.
                Mnemonic::Jmp | Mnemonic::Ret => trial = State::new(),
                Mnemonic::Call => trial.clobber_call(abi),
                _ => step(&mut trial, &instr, abi),
            }
        }
        // `can_decode` is false once the decoder consumed all bytes up to `off`; an instruction
        // straddling `off` means this start is out of sync.
        if ok && dec.position() == off - from && !straddles(&instr, range, off) {
            st = trial;
            break;
        }
    }
    // 2. From the `lea` to the next call. clang shares one `PyErr_Format` call between the ABI
    //    and API error paths: the API path sets rsi/edx and jumps to the call (fixture
    //    capi_np1_26_4_x86_64_macos), so a direct `jmp` is followed (twice at most). gcc does the
    //    same with the shared call placed before the API path (scipy 1.11.4
    //    `_distance_pybind`: `mov $0x10,%edx; lea fmt,%rsi; mov %eax,%ecx; jmp <back>`), so
    //    backward jumps count too; the hop limit bounds the walk.
    let mut at = off;
    let mut hops = 0;
    let mut n = 0;
    'walk: loop {
        let end = at.saturating_add(FORWARD_INSNS * 15).min(range.data.len());
        let Some(mut dec) = decode_at(range, at, end) else {
            return;
        };
        while dec.can_decode() && n < FORWARD_INSNS {
            n += 1;
            dec.decode_out(&mut instr);
            match instr.mnemonic() {
                Mnemonic::INVALID | Mnemonic::Ret => return,
                Mnemonic::Jmp => {
                    let target = instr.near_branch_target();
                    let next = target
                        .checked_sub(range.addr)
                        .and_then(|o| usize::try_from(o).ok());
                    match (instr.op0_kind(), next) {
                        (OpKind::NearBranch64, Some(o))
                            if hops < 2 && o != at && o < range.data.len() =>
                        {
                            hops += 1;
                            at = o;
                            continue 'walk;
                        }
                        _ => return,
                    }
                }
                Mnemonic::Call => {
                    evaluate(c, &st, anchors, abi, instr.ip(), out);
                    return;
                }
                _ => step(&mut st, &instr, abi),
            }
        }
        return;
    }
}

/// The last decoded instruction ends after `off` (the decoder stops at the slice end, so a
/// truncated instruction shows up as invalid; this is a second guard).
fn straddles(instr: &Instruction, range: &Range<'_>, off: usize) -> bool {
    let end = instr.next_ip();
    end > range.addr.wrapping_add(off as u64)
}

fn evaluate(
    c: &Container<'_>,
    st: &State,
    anchors: &HashMap<u64, Anchor>,
    abi: Abi,
    call: u64,
    out: &mut CodeFacts,
) {
    let args = match abi {
        Abi::SysV => [RDI, RSI, RDX, RCX, R8, R9].map(|r| st.regs[r]),
        Abi::Win64 => [
            st.regs[RCX],
            st.regs[RDX],
            st.regs[R8],
            st.regs[R9],
            st.stack[0],
            st.stack[1],
        ],
    };
    let vararg = args[2];
    call::record(c, anchors, &CallArgs { args, vararg }, call, out);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn container<'a>(code: &'a [u8], rodata: &'a [u8]) -> Container<'a> {
        Container {
            format: super::super::Format::Elf,
            arch: super::super::Arch::X86_64,
            code: vec![Range {
                addr: 0x1000,
                data: code,
            }],
            rodata: vec![Range {
                addr: 0x8000,
                data: rodata,
            }],
            module_init: None,
            needed: vec![],
            exports: vec![],
            imports: vec![],
            problems: vec![],
        }
    }

    fn lea(reg_bits: u8, rex: u8, at: u64, target: u64) -> Vec<u8> {
        let disp = target.wrapping_sub(at + 7) as i64 as i32;
        let mut v = vec![rex, 0x8d, 0x05 | (reg_bits << 3)];
        v.extend_from_slice(&disp.to_le_bytes());
        v
    }

    #[test]
    fn sysv_cython_import_constprop() {
        // docs/binary-evidence.md#cython-sizes: mov $2,%r8d; mov $0x60,%ecx; mov %rbp,%rsi;
        // mov %rbx,%rdi; lea "ndarray"(%rip),%rdx; call.
        let mut code = vec![0x90];
        code.extend_from_slice(&[0x41, 0xb8, 2, 0, 0, 0]); // mov r8d, 2
        code.extend_from_slice(&[0xb9, 0x60, 0, 0, 0]); // mov ecx, 0x60
        code.extend_from_slice(&[0x48, 0x89, 0xee]); // mov rsi, rbp
        code.extend_from_slice(&[0x48, 0x89, 0xdf]); // mov rdi, rbx
        let at = 0x1000 + code.len() as u64;
        code.extend(lea(2, 0x48, at, 0x8000)); // lea rdx, [rip -> 0x8000]
        code.extend_from_slice(&[0xe8, 0, 0, 0, 0]); // call
        let mut anchors = HashMap::new();
        anchors.insert(0x8000, Anchor::TypeName(3));
        let c = container(&code, b"ndarray\0");
        let f = analyse(&c, &anchors, Abi::SysV);
        assert_eq!(f.types.len(), 1);
        assert_eq!(f.types[0].index, 3);
        assert_eq!(f.types[0].size, 0x60);
        assert_eq!(f.types[0].check_size, Some(2));
        assert!(!f.types[0].module_known);
    }

    #[test]
    fn sysv_pyerr_format_and_non_numpy_module() {
        // mov edx, 0x10; lea rsi, fmt; call  -> feature 0x10
        let mut code = vec![0xba, 0x10, 0, 0, 0];
        let at = 0x1000 + code.len() as u64;
        code.extend(lea(6, 0x48, at, 0x8010));
        code.extend_from_slice(&[0xe8, 0, 0, 0, 0]);
        // lea rsi, "builtins"; lea rdx, "dtype"; mov ecx, 96; call -> rejected (not numpy)
        let at = 0x1000 + code.len() as u64;
        code.extend(lea(6, 0x48, at, 0x8020));
        let at = 0x1000 + code.len() as u64;
        code.extend(lea(2, 0x48, at, 0x8000));
        code.extend_from_slice(&[0xb9, 0x60, 0, 0, 0]);
        code.extend_from_slice(&[0xe8, 0, 0, 0, 0]);
        let mut anchors = HashMap::new();
        anchors.insert(0x8000, Anchor::TypeName(0));
        anchors.insert(0x8010, Anchor::ApiFormat);
        let rodata = vec![0u8; 0x40];
        let c = container(&code, &rodata);
        let f = analyse(&c, &anchors, Abi::SysV);
        assert_eq!(
            f.feature.iter().map(|x| x.1).collect::<Vec<_>>(),
            vec![0x10]
        );
        assert!(f.types.is_empty());
    }

    #[test]
    fn win64_import_type() {
        // mov dword [rsp+0x28], 2; mov dword [rsp+0x20], 8; mov r9d, 0x20; lea r8, "dtype";
        // lea rdx, "numpy"; call
        let mut code = vec![0xc7, 0x44, 0x24, 0x28, 2, 0, 0, 0];
        code.extend_from_slice(&[0xc7, 0x44, 0x24, 0x20, 8, 0, 0, 0]);
        code.extend_from_slice(&[0x41, 0xb9, 0x20, 0, 0, 0]);
        let at = 0x1000 + code.len() as u64;
        code.extend(lea(0, 0x4c, at, 0x8000));
        let at = 0x1000 + code.len() as u64;
        code.extend(lea(2, 0x48, at, 0x8008));
        code.extend_from_slice(&[0xff, 0x15, 0, 0, 0, 0]); // call [rip]
        let mut anchors = HashMap::new();
        anchors.insert(0x8000, Anchor::TypeName(0));
        anchors.insert(0x8008, Anchor::Numpy);
        let c = container(&code, b"dtype\0\0\0numpy\0");
        let f = analyse(&c, &anchors, Abi::Win64);
        assert_eq!(f.types.len(), 1);
        assert_eq!(f.types[0].size, 32);
        assert_eq!(f.types[0].check_size, Some(2));
        assert!(f.types[0].module_known);
    }

    #[test]
    fn garbage_code_does_not_panic() {
        let code: Vec<u8> = (0..4096u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        let mut anchors = HashMap::new();
        for a in 0..64u64 {
            anchors.insert(0x8000 + a, Anchor::TypeName((a % 15) as u8));
        }
        let c = container(&code, &[0u8; 64]);
        let _ = analyse(&c, &anchors, Abi::SysV);
        let _ = analyse(&c, &anchors, Abi::Win64);
        let code = [0x48u8, 0x8d, 0x15, 0xff];
        let c = container(&code, &[]);
        let _ = analyse(&c, &anchors, Abi::SysV);
    }
}
