//! The only module with `unsafe`: thin wrappers over the syscalls the runtime makes.
//!
//! # Safety
//!
//! Each wrapper passes pointers to memory it owns for the duration of the call and checks the
//! return value; none keeps a pointer past the call. Functions marked signal-safe make exactly
//! one syscall and touch no lock or allocator, so the SIGSYS handler may call them.

use std::io;

use sandbox_policy::bpf::Insn;

/// `struct sock_fprog`.
#[repr(C)]
struct SockFprog {
    len: u16,
    filter: *const Insn,
}

const SECCOMP_SET_MODE_FILTER: libc::c_ulong = 1;
const SECCOMP_FILTER_FLAG_TSYNC: libc::c_ulong = 1;

/// `prctl(PR_SET_NO_NEW_PRIVS, 1)`. See prctl(2).
pub(crate) fn set_no_new_privs() -> io::Result<()> {
    // SAFETY: PR_SET_NO_NEW_PRIVS takes integer arguments only.
    let r = unsafe { libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) };
    if r == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Result of installing a filter on every thread.
pub(crate) enum Install {
    Done,
    /// TSYNC could not move this thread (it carries a filter that is not an ancestor of ours).
    BlockedBy(libc::pid_t),
    Failed(io::Error),
}

/// `seccomp(SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, prog)`. See seccomp(2).
pub(crate) fn install_filter_all_threads(prog: &[Insn]) -> Install {
    let Ok(len) = u16::try_from(prog.len()) else {
        return Install::Failed(io::Error::from_raw_os_error(libc::EINVAL));
    };
    let fprog = SockFprog {
        len,
        filter: prog.as_ptr(),
    };
    // SAFETY: `fprog` points at `prog`, which outlives the call; the kernel copies the program.
    let r = unsafe {
        libc::syscall(
            libc::SYS_seccomp,
            SECCOMP_SET_MODE_FILTER,
            SECCOMP_FILTER_FLAG_TSYNC,
            &raw const fprog,
        )
    };
    match r {
        0 => Install::Done,
        r if r > 0 => Install::BlockedBy(libc::pid_t::try_from(r).unwrap_or(-1)),
        _ => Install::Failed(io::Error::last_os_error()),
    }
}

/// `getpid()`. Signal-safe.
pub(crate) fn getpid() -> u32 {
    // SAFETY: no arguments.
    let pid = unsafe { libc::getpid() };
    u32::try_from(pid).unwrap_or(0)
}

/// `write(2, bytes)`, all of it, retrying on short writes. Signal-safe.
pub(crate) fn write_stderr(mut bytes: &[u8]) {
    while !bytes.is_empty() {
        // SAFETY: the pointer and length describe `bytes`.
        let n = unsafe { libc::write(2, bytes.as_ptr().cast(), bytes.len()) };
        match usize::try_from(n) {
            Ok(n) if n > 0 => bytes = &bytes[n..],
            _ => return,
        }
    }
}

/// Ends the process by SIGABRT: default action, unblocked, sent to the calling thread; falls
/// back to `_exit(134)`. Signal-safe. Every call it makes is allowed under every policy.
pub(crate) fn die_by_sigabrt() -> ! {
    // SAFETY: a zeroed sigaction with SIG_DFL is a valid argument; the set is a local.
    unsafe {
        let mut act: libc::sigaction = std::mem::zeroed();
        act.sa_sigaction = libc::SIG_DFL;
        libc::sigaction(libc::SIGABRT, &raw const act, std::ptr::null_mut());
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&raw mut set);
        libc::sigaddset(&raw mut set, libc::SIGABRT);
        libc::pthread_sigmask(libc::SIG_UNBLOCK, &raw const set, std::ptr::null_mut());
        // Thread-directed, so that this thread (which just unblocked it) takes it, rather than
        // another thread while this one reaches _exit first.
        libc::syscall(
            libc::SYS_tgkill,
            libc::getpid(),
            libc::gettid(),
            libc::SIGABRT,
        );
        libc::kill(libc::getpid(), libc::SIGABRT);
        libc::_exit(128 + libc::SIGABRT)
    }
}

/// The handler type for `SA_SIGINFO`.
pub(crate) type SigInfoHandler =
    extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut libc::c_void);

/// Installs `handler` for SIGSYS with every other signal blocked while it runs. See sigaction(2).
pub(crate) fn install_sigsys_handler(handler: SigInfoHandler) -> io::Result<()> {
    // SAFETY: `act` is fully initialised (zeroed, then the handler, flags and mask set); the
    // handler is an `extern "C"` fn with the SA_SIGINFO signature and lives for the whole program.
    unsafe {
        let mut act: libc::sigaction = std::mem::zeroed();
        act.sa_sigaction = handler as usize;
        act.sa_flags = libc::SA_SIGINFO;
        libc::sigfillset(&raw mut act.sa_mask);
        if libc::sigaction(libc::SIGSYS, &raw const act, std::ptr::null_mut()) != 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}

/// The SIGSYS fields of `siginfo_t` (the kernel's `_sigsys` union member).
#[repr(C)]
struct SigSys {
    signo: libc::c_int,
    errno: libc::c_int,
    code: libc::c_int,
    _pad: libc::c_int,
    call_addr: *mut libc::c_void,
    syscall: libc::c_int,
    _arch: libc::c_uint,
}

/// What the kernel told the handler about a trapped call.
pub(crate) struct Trapped {
    pub(crate) data: u32,
    pub(crate) code: i32,
    pub(crate) nr: u32,
    pub(crate) args: [u64; 6],
}

/// Reads the trapped syscall from the handler's arguments. Signal-safe.
///
/// # Safety
///
/// `info` and `ctx` must be the pointers the kernel passed to an `SA_SIGINFO` handler for SIGSYS.
pub(crate) unsafe fn trapped(info: *const libc::siginfo_t, ctx: *const libc::c_void) -> Trapped {
    // SAFETY: the caller guarantees `info` is the kernel's siginfo for SIGSYS, whose layout
    // `SigSys` mirrors (include/uapi/asm-generic/siginfo.h, 64-bit).
    let s = unsafe { &*info.cast::<SigSys>() };
    // SAFETY: the caller guarantees `ctx` is the kernel's ucontext for this signal.
    let args = unsafe { args_of(ctx.cast::<libc::ucontext_t>()) };
    Trapped {
        data: u32::try_from(s.errno).unwrap_or(0),
        code: s.code,
        nr: u32::try_from(s.syscall).unwrap_or(u32::MAX),
        args,
    }
}

#[cfg(target_arch = "x86_64")]
unsafe fn args_of(uc: *const libc::ucontext_t) -> [u64; 6] {
    // SAFETY: the caller passes the kernel's ucontext; gregs is an array of 23 registers.
    let g = unsafe { &(*uc).uc_mcontext.gregs };
    let r = |i: libc::c_int| g[usize::try_from(i).unwrap_or(0)] as u64;
    [
        r(libc::REG_RDI),
        r(libc::REG_RSI),
        r(libc::REG_RDX),
        r(libc::REG_R10),
        r(libc::REG_R8),
        r(libc::REG_R9),
    ]
}

#[cfg(target_arch = "aarch64")]
unsafe fn args_of(uc: *const libc::ucontext_t) -> [u64; 6] {
    // SAFETY: the caller passes the kernel's ucontext; regs holds x0..x30.
    let r = unsafe { &(*uc).uc_mcontext.regs };
    [r[0], r[1], r[2], r[3], r[4], r[5]]
}

#[cfg(target_arch = "riscv64")]
unsafe fn args_of(uc: *const libc::ucontext_t) -> [u64; 6] {
    // SAFETY: the caller passes the kernel's ucontext; __gregs holds pc, ra, sp, ..., a0 at 10.
    let r = unsafe { &(*uc).uc_mcontext.__gregs };
    [r[10], r[11], r[12], r[13], r[14], r[15]].map(|v| v as u64)
}

/// Copies the NUL-terminated path a trapped call passed at `addr` into `buf`; returns the bytes
/// copied. Signal-safe. Only the reporter calls it, with a path argument of the trapped call.
/// It reads the program's memory directly: a pointer that is not mapped faults here, and the
/// process dies by SIGSEGV (documented in the reporter); the denied call has no effect either way.
pub(crate) fn path_at(addr: u64, buf: &mut [u8]) -> usize {
    let p = addr as usize as *const u8;
    for (i, slot) in buf.iter_mut().enumerate() {
        // SAFETY: the program handed this address to the kernel as a NUL-terminated path, so the
        // bytes up to the NUL are readable unless the program passed a bad pointer, in which case
        // the fault ends a process that was being ended anyway.
        let b = unsafe { p.add(i).read_volatile() };
        if b == 0 {
            return i;
        }
        *slot = b;
    }
    buf.len()
}

/// An atomic `Option<&'static T>`: the phase in force, readable from the signal handler with one
/// load and no lock.
pub(crate) struct StaticCell<T: 'static>(std::sync::atomic::AtomicPtr<T>);

impl<T: 'static> StaticCell<T> {
    pub(crate) const fn new() -> Self {
        StaticCell(std::sync::atomic::AtomicPtr::new(std::ptr::null_mut()))
    }

    /// Whether the cell holds exactly `value`. One acquire load.
    #[inline]
    pub(crate) fn holds(&self, value: &'static T) -> bool {
        std::ptr::eq(self.0.load(std::sync::atomic::Ordering::Acquire), value)
    }

    pub(crate) fn get(&self) -> Option<&'static T> {
        let p = self.0.load(std::sync::atomic::Ordering::Acquire);
        // SAFETY: only `set` stores into the cell, and it stores `&'static T` references (or
        // null), so a non-null pointer is valid for 'static and never mutably aliased.
        unsafe { p.as_ref() }
    }

    /// Stores `value`, returning what was there.
    pub(crate) fn set(&self, value: Option<&'static T>) -> Option<&'static T> {
        let p = value.map_or(std::ptr::null_mut(), |v| std::ptr::from_ref(v).cast_mut());
        let old = self.0.swap(p, std::sync::atomic::Ordering::AcqRel);
        // SAFETY: as in `get`: every stored pointer came from a `&'static T`.
        unsafe { old.as_ref() }
    }
}
