//! Escape attempts, each in a fresh child process (see `common`). Every case asserts that the
//! forbidden effect did not happen (a file not created, bytes not written or injected, a process
//! not signalled or changed, code not run), not only that an error came back. Where the effect
//! is only visible with the sandbox off, a `*_control` scenario makes the same attempt unsandboxed
//! and shows that the test would see it.
//!
//! x86_64 only: the attempts use `int 0x80`, raw `syscall` sequences and machine code.

mod common;

#[cfg(target_arch = "x86_64")]
fn main() {
    imp::main();
}

#[cfg(not(target_arch = "x86_64"))]
fn main() {
    println!("escape: x86_64 only, skipped");
}

#[cfg(target_arch = "x86_64")]
mod imp {
    use std::ffi::CString;
    use std::io::Write;
    use std::os::unix::process::ExitStatusExt;
    use std::path::PathBuf;
    use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
    use std::time::{Duration, Instant};

    use sandbox::{Penalty, PledgeError, Promise, PromiseSet};

    use crate::common::{self, Run, SIGABRT, SIGSYS, Scenario};

    // ---- helpers ---------------------------------------------------------------------------

    /// A path both the parent and its child can name.
    fn scratch_for(name: &str, parent: u32) -> PathBuf {
        std::env::temp_dir().join(format!("sandbox-escape-{name}-{parent}"))
    }
    fn child_scratch(name: &str) -> PathBuf {
        scratch_for(name, std::os::unix::process::parent_id())
    }
    fn parent_scratch(name: &str) -> PathBuf {
        scratch_for(name, std::process::id())
    }
    fn c(path: &std::path::Path) -> CString {
        CString::new(path.as_os_str().as_encoded_bytes()).unwrap()
    }

    fn say(what: &str, value: impl std::fmt::Display) {
        println!("{what}: {value}");
        std::io::stdout().flush().unwrap();
    }

    fn errno() -> i32 {
        std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
    }

    fn errname(e: i32) -> String {
        match e {
            libc::EPERM => "EPERM".into(),
            libc::ENOSYS => "ENOSYS".into(),
            libc::EACCES => "EACCES".into(),
            libc::EBADF => "EBADF".into(),
            libc::EINVAL => "EINVAL".into(),
            libc::ENOENT => "ENOENT".into(),
            libc::EFAULT => "EFAULT".into(),
            libc::ESRCH => "ESRCH".into(),
            libc::ECHILD => "ECHILD".into(),
            libc::EAGAIN => "EAGAIN".into(),
            libc::ENOTTY => "ENOTTY".into(),
            libc::ENOMEM => "ENOMEM".into(),
            e => format!("errno {e}"),
        }
    }

    /// A libc-style result (`-1` and errno on failure) as text: `ok N` or the errno's name.
    fn res(r: i64) -> String {
        if r == -1 {
            errname(errno())
        } else {
            format!("ok {r}")
        }
    }

    /// A raw syscall result (`-errno` on failure) as text.
    fn kres(r: i64) -> String {
        if (-4095..0).contains(&r) {
            errname(i32::try_from(-r).unwrap())
        } else {
            format!("ok {r}")
        }
    }

    /// `syscall(2)` with six arguments.
    fn sys(nr: libc::c_long, a: [u64; 6]) -> i64 {
        // SAFETY: every caller passes arguments the kernel can check; pointers point at live
        // buffers of the sizes given, or at nothing the call may write.
        unsafe { libc::syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]) }
    }

    /// A raw syscall that may create a process or thread. The new child writes one byte to
    /// `marker` (if it is a valid fd) and exits at once, touching neither its stack nor memory:
    /// a byte in the marker pipe means a child ran.
    fn spawning_syscall(nr: u64, a: [u64; 6], marker: i32) -> i64 {
        static BYTE: u8 = b'!';
        let ret: i64;
        // SAFETY: the parent branch is an ordinary syscall; the child branch only makes
        // write(marker, &BYTE, 1) and exit(0) with registers, on whatever stack it has.
        unsafe {
            core::arch::asm!(
                "syscall",
                "test rax, rax",
                "jnz 2f",
                "mov eax, 1",
                "mov rdi, r12",
                "mov rsi, r13",
                "mov edx, 1",
                "syscall",
                "mov eax, 60",
                "xor edi, edi",
                "syscall",
                "2:",
                inlateout("rax") nr as i64 => ret,
                inlateout("rdi") a[0] => _,
                inlateout("rsi") a[1] => _,
                inlateout("rdx") a[2] => _,
                in("r10") a[3], in("r8") a[4], in("r9") a[5],
                in("r12") i64::from(marker),
                in("r13") &raw const BYTE,
                lateout("rcx") _, lateout("r11") _,
                options(nostack),
            );
        }
        ret
    }

    /// A pipe whose read end does not block: `(read, write)`.
    fn marker_pipe() -> (i32, i32) {
        let mut fds = [0; 2];
        // SAFETY: `fds` has room for two descriptors.
        let r = unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_NONBLOCK) };
        assert_eq!(r, 0);
        (fds[0], fds[1])
    }

    /// How many bytes are waiting in a non-blocking descriptor (reads them).
    fn drain(fd: i32) -> usize {
        let mut buf = [0u8; 256];
        let mut n = 0;
        loop {
            // SAFETY: reads into a local buffer of its size.
            let r = unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) };
            match usize::try_from(r) {
                Ok(0) | Err(_) => return n,
                Ok(k) => n += k,
            }
        }
    }

    /// The lowest free descriptor number (a new descriptor would get it).
    fn lowest_free_fd() -> i32 {
        // SAFETY: dup of stdin, closed at once.
        unsafe {
            let fd = libc::dup(0);
            libc::close(fd);
            fd
        }
    }

    /// Whether descriptor `fd` is open.
    fn is_open(fd: i32) -> bool {
        // SAFETY: F_GETFD only reads the descriptor's flags.
        unsafe { libc::fcntl(fd, libc::F_GETFD) != -1 }
    }

    /// The permissions column of /proc/self/maps for the mapping holding `addr`.
    fn perms_at(addr: u64) -> String {
        let maps = std::fs::read_to_string("/proc/self/maps").unwrap();
        for line in maps.lines() {
            let (range, rest) = line.split_once(' ').unwrap();
            let (a, b) = range.split_once('-').unwrap();
            let (a, b) = (
                u64::from_str_radix(a, 16).unwrap(),
                u64::from_str_radix(b, 16).unwrap(),
            );
            if (a..b).contains(&addr) {
                return rest[..4].to_owned();
            }
        }
        "unmapped".into()
    }

    fn page_rw() -> *mut u8 {
        page_at(0, libc::PROT_READ | libc::PROT_WRITE, 0)
    }

    fn page_at(addr: u64, prot: i32, extra: i32) -> *mut u8 {
        // SAFETY: a new anonymous mapping; MAP_FIXED_NOREPLACE never replaces one.
        let p = unsafe {
            libc::mmap(
                addr as *mut libc::c_void,
                4096,
                prot,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | extra,
                -1,
                0,
            )
        };
        assert_ne!(p, libc::MAP_FAILED, "mmap: {}", errname(errno()));
        p.cast()
    }

    /// `mov eax, 42; ret`
    const RET42: [u8; 6] = [0xb8, 42, 0, 0, 0, 0xc3];

    fn call_code(p: *const u8) -> u32 {
        // SAFETY: only called on a page holding RET42 that /proc/self/maps shows executable.
        let f: extern "C" fn() -> u32 = unsafe { std::mem::transmute(p) };
        f()
    }

    // A function whose code the /proc/self/mem attempts try to change: it returns 1.
    core::arch::global_asm!(
        ".pushsection .text",
        ".globl sandbox_escape_patchme",
        ".p2align 4",
        "sandbox_escape_patchme:",
        "mov eax, 1",
        "ret",
        ".popsection",
    );
    unsafe extern "C" {
        fn sandbox_escape_patchme() -> u32;
    }
    fn patchme() -> u32 {
        // SAFETY: the function above takes nothing and returns eax.
        unsafe { sandbox_escape_patchme() }
    }
    /// `mov eax, 2; ret`: what a successful write through /proc/self/mem puts there.
    const RET2: [u8; 6] = [0xb8, 2, 0, 0, 0, 0xc3];

    /// Opens `path` with `flags` and, if that works, writes RET2 over `sandbox_escape_patchme`.
    fn write_code_through(path: &str, dirfd: i32, flags: i32) -> String {
        let p = CString::new(path).unwrap();
        // SAFETY: a path and flags; no creation.
        let fd = unsafe { libc::openat(dirfd, p.as_ptr(), flags) };
        if fd < 0 {
            return errname(errno());
        }
        let addr = sandbox_escape_patchme as *const () as usize as i64;
        // SAFETY: writes six bytes from a constant at offset `addr` of the memory file.
        let n = unsafe { libc::pwrite(fd, RET2.as_ptr().cast(), RET2.len(), addr) };
        let out = format!("opened, pwrite {}", res(n as i64));
        // SAFETY: closes our own descriptor.
        unsafe { libc::close(fd) };
        out
    }

    /// A static x86_64 ELF that writes `msg` to stdout and exits 0, with no libc and no mmap:
    /// the kernel maps it executable, no PROT_EXEC call is made.
    fn tiny_elf(msg: &[u8]) -> Vec<u8> {
        let base: u64 = 0x40_0000;
        let code_off: u64 = 64 + 56;
        let mut code = vec![0xb8, 1, 0, 0, 0, 0xbf, 1, 0, 0, 0, 0x48, 0x8d, 0x35];
        code.extend(16u32.to_le_bytes()); // lea rsi, [rip + 16]: the message after the code
        code.push(0xba);
        code.extend(u32::try_from(msg.len()).unwrap().to_le_bytes()); // mov edx, len
        code.extend([0x0f, 0x05, 0xb8, 60, 0, 0, 0, 0x31, 0xff, 0x0f, 0x05]); // write; exit(0)
        code.extend(msg);
        let total = code_off + code.len() as u64;
        let mut f = vec![0x7f, b'E', b'L', b'F', 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        f.extend(2u16.to_le_bytes());
        f.extend(0x3eu16.to_le_bytes());
        f.extend(1u32.to_le_bytes());
        f.extend((base + code_off).to_le_bytes());
        f.extend(64u64.to_le_bytes());
        f.extend(0u64.to_le_bytes());
        f.extend(0u32.to_le_bytes());
        for v in [64u16, 56, 1, 64, 0, 0] {
            f.extend(v.to_le_bytes());
        }
        f.extend(1u32.to_le_bytes()); // PT_LOAD
        f.extend(5u32.to_le_bytes()); // R + X
        f.extend(0u64.to_le_bytes());
        f.extend(base.to_le_bytes());
        f.extend(base.to_le_bytes());
        f.extend(total.to_le_bytes());
        f.extend(total.to_le_bytes());
        f.extend(0x1000u64.to_le_bytes());
        f.extend(code);
        f
    }
    const MEMFD_MSG: &[u8] = b"memfd code ran\n";

    fn memfd_with_elf(flags: u32) -> i32 {
        let name = CString::new("escape").unwrap();
        // SAFETY: a name and flags.
        let fd = unsafe { libc::memfd_create(name.as_ptr(), flags) };
        assert!(fd >= 0, "memfd_create: {}", errname(errno()));
        let elf = tiny_elf(MEMFD_MSG);
        // SAFETY: writes our buffer to our descriptor.
        let n = unsafe { libc::write(fd, elf.as_ptr().cast(), elf.len()) };
        assert_eq!(n, elf.len() as isize);
        fd
    }

    fn exec_args() -> (CString, [*const libc::c_char; 2], [*const libc::c_char; 1]) {
        let arg0 = CString::new("escape").unwrap();
        let argv = [arg0.as_ptr(), std::ptr::null()];
        (arg0, argv, [std::ptr::null()])
    }

    fn all_but_error() -> String {
        PromiseSet::all()
            .iter()
            .filter(|p| *p != Promise::Error)
            .map(Promise::name)
            .collect::<Vec<_>>()
            .join(" ")
    }

    fn pledge(p: &str) {
        sandbox::pledge(p).unwrap_or_else(|e| panic!("pledge({p:?}): {e}"));
        say("pledged", p);
    }

    /// A phase that must refuse to start (the process stays unsandboxed and says why).
    fn pledge_refused(p: &str) -> bool {
        match sandbox::pledge(p) {
            Ok(_) => {
                say("pledged", p);
                false
            }
            Err(e) => {
                say("refused", e);
                true
            }
        }
    }

    // ---- i386 system calls through int 0x80 ------------------------------------------------

    /// An i386 system call from 64-bit code: `int 0x80` with the i386 numbers and registers.
    fn int80(nr: u32, b: u32, c: u32, d: u32) -> i32 {
        let ret: i32;
        // SAFETY: the kernel's compat entry; rbx is swapped in and out around it (LLVM reserves
        // it), r8-r11 are treated as clobbered.
        unsafe {
            core::arch::asm!(
                "xchg {b}, rbx",
                "int 0x80",
                "xchg {b}, rbx",
                b = inout(reg) u64::from(b) => _,
                inlateout("eax") nr => ret,
                in("ecx") c,
                in("edx") d,
                lateout("r8") _, lateout("r9") _, lateout("r10") _, lateout("r11") _,
            );
        }
        ret
    }

    /// Memory below 4 GiB holding `path` at offset 0 and socketcall's argument block at 512.
    fn low_memory(path: &std::path::Path) -> u32 {
        let p = page_at(0, libc::PROT_READ | libc::PROT_WRITE, libc::MAP_32BIT);
        let bytes = path.as_os_str().as_encoded_bytes();
        // SAFETY: the page is ours and 4096 bytes long; the path is shorter than 512.
        unsafe {
            std::ptr::copy_nonoverlapping(bytes.as_ptr(), p, bytes.len());
            *p.add(bytes.len()) = 0;
            let args = p.add(512).cast::<u32>();
            *args = 2; // AF_INET
            *args.add(1) = 1; // SOCK_STREAM
            *args.add(2) = 0;
        }
        u32::try_from(p as usize).expect("MAP_32BIT")
    }

    const I386_OPEN: u32 = 5;
    const I386_SOCKETCALL: u32 = 102;
    const I386_SOCKET: u32 = 359;

    fn int80_attempt(policy: Option<&str>, which: &str) {
        let path = child_scratch(&format!("int80-{which}"));
        let low = low_memory(&path);
        if let Some(p) = policy {
            pledge(p);
        }
        let r = match which {
            "open" => int80(I386_OPEN, low, 0o101, 0o644), // O_WRONLY | O_CREAT
            "socketcall" => int80(I386_SOCKETCALL, 1, low + 512, 0), // SYS_SOCKET
            "socket" => int80(I386_SOCKET, 2, 1, 0),
            _ => unreachable!(),
        };
        say(&format!("i386 {which} returned"), r);
    }

    fn int80_control() {
        for which in ["open", "socketcall", "socket"] {
            int80_attempt(None, which);
        }
    }

    fn int80_killed(r: &Run, which: &str) {
        r.signalled(SIGSYS)
            .stdout_has("pledged")
            .stdout_lacks("returned")
            .stderr_lacks("sandbox:");
        let created = parent_scratch(&format!("int80-{which}"));
        assert!(
            !created.exists(),
            "the i386 open created {}",
            created.display()
        );
    }

    // ---- io_uring ------------------------------------------------------------------------------

    #[repr(C)]
    #[derive(Default, Clone, Copy)]
    struct SqOff {
        head: u32,
        tail: u32,
        ring_mask: u32,
        ring_entries: u32,
        flags: u32,
        dropped: u32,
        array: u32,
        resv1: u32,
        user_addr: u64,
    }
    #[repr(C)]
    #[derive(Default, Clone, Copy)]
    struct CqOff {
        head: u32,
        tail: u32,
        ring_mask: u32,
        ring_entries: u32,
        overflow: u32,
        cqes: u32,
        flags: u32,
        resv1: u32,
        user_addr: u64,
    }
    #[repr(C)]
    #[derive(Default, Clone, Copy)]
    struct Params {
        sq_entries: u32,
        cq_entries: u32,
        flags: u32,
        sq_thread_cpu: u32,
        sq_thread_idle: u32,
        features: u32,
        wq_fd: u32,
        resv: [u32; 3],
        sq_off: SqOff,
        cq_off: CqOff,
    }
    const IORING_SETUP_SQPOLL: u32 = 2;
    const IORING_OP_OPENAT: u8 = 18;
    const IORING_OP_READ: u8 = 22;
    const IORING_OP_TIMEOUT: u8 = 11;
    const IOSQE_IO_HARDLINK: u8 = 1 << 3;
    const IORING_ENTER_GETEVENTS: u64 = 1;
    const IORING_ENTER_SQ_WAKEUP: u64 = 2;
    const IORING_SQ_NEED_WAKEUP: u32 = 1;
    const IORING_REGISTER_PROBE: u64 = 8;
    const IOSQE_ASYNC: u8 = 1 << 4;
    const IORING_SETUP_NO_MMAP: u32 = 1 << 14;
    const IORING_SETUP_REGISTERED_FD_ONLY: u32 = 1 << 15;
    const IORING_ENTER_REGISTERED_RING: u64 = 1 << 4;

    /// A ring set up with raw syscalls and mmap, as small as the kernel allows.
    struct Ring {
        /// The ring's descriptor, or its index among the thread's registered rings.
        fd: i32,
        /// `IORING_ENTER_REGISTERED_RING` when `fd` is a registered index.
        enter_flags: u64,
        ring: *mut u8,
        sqes: *mut u8,
        p: Params,
        path: CString,
    }

    fn io_uring_setup(flags: u32) -> Result<(i32, Params), i32> {
        let mut p = Params {
            flags,
            sq_thread_idle: 10_000,
            ..Params::default()
        };
        let fd = sys(
            libc::SYS_io_uring_setup,
            [4, (&raw mut p) as u64, 0, 0, 0, 0],
        );
        if fd < 0 {
            return Err(errno());
        }
        Ok((i32::try_from(fd).unwrap(), p))
    }

    impl Ring {
        fn new(flags: u32, path: &std::path::Path) -> Ring {
            let (fd, p) =
                io_uring_setup(flags).unwrap_or_else(|e| panic!("io_uring_setup: {}", errname(e)));
            assert!(p.features & 1 != 0, "IORING_FEAT_SINGLE_MMAP");
            let (ring_len, sqes_len) = Ring::lengths(&p);
            let map = |len: usize, off: i64| {
                // SAFETY: maps the ring's shared memory, as io_uring_setup(2) documents.
                let m = unsafe {
                    libc::mmap(
                        std::ptr::null_mut(),
                        len,
                        libc::PROT_READ | libc::PROT_WRITE,
                        libc::MAP_SHARED | libc::MAP_POPULATE,
                        fd,
                        off,
                    )
                };
                assert_ne!(m, libc::MAP_FAILED);
                m.cast::<u8>()
            };
            let ring = map(ring_len, 0);
            let sqes = map(sqes_len, 0x1000_0000);
            Ring {
                fd,
                enter_flags: 0,
                ring,
                sqes,
                p,
                path: c(path),
            }
        }

        /// A ring (`flags`: SQPOLL or not) that leaves no trace in the descriptor table or the
        /// memory maps, as liburing's `io_uring_queue_init_mem` and registered ring descriptors
        /// allow: the rings live in memory the program provides (`IORING_SETUP_NO_MMAP`) and the
        /// kernel hands back an index among the thread's registered rings instead of a
        /// descriptor (`IORING_SETUP_REGISTERED_FD_ONLY`). Only its threads show, if it has any.
        fn hidden(flags: u32, path: &std::path::Path) -> Ring {
            let page = || {
                // SAFETY: a fresh anonymous page, for the kernel to pin as ring memory.
                let m = unsafe {
                    libc::mmap(
                        std::ptr::null_mut(),
                        4096,
                        libc::PROT_READ | libc::PROT_WRITE,
                        libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_POPULATE,
                        -1,
                        0,
                    )
                };
                assert_ne!(m, libc::MAP_FAILED);
                m.cast::<u8>()
            };
            let (ring, sqes) = (page(), page());
            let mut p = Params {
                flags: flags | IORING_SETUP_NO_MMAP | IORING_SETUP_REGISTERED_FD_ONLY,
                sq_thread_idle: 10_000,
                ..Params::default()
            };
            p.cq_off.user_addr = ring as u64;
            p.sq_off.user_addr = sqes as u64;
            let idx = sys(
                libc::SYS_io_uring_setup,
                [4, (&raw mut p) as u64, 0, 0, 0, 0],
            );
            assert!(idx >= 0, "io_uring_setup: {}", errname(errno()));
            Ring {
                fd: i32::try_from(idx).unwrap(),
                enter_flags: IORING_ENTER_REGISTERED_RING,
                ring,
                sqes,
                p,
                path: c(path),
            }
        }

        /// The lengths of the ring mapping (both queues, `IORING_FEAT_SINGLE_MMAP`) and of the
        /// SQE array.
        fn lengths(p: &Params) -> (usize, usize) {
            let sq_len = p.sq_off.array as usize + p.sq_entries as usize * 4;
            let cq_len = p.cq_off.cqes as usize + p.cq_entries as usize * 16;
            (sq_len.max(cq_len), p.sq_entries as usize * 64)
        }

        fn word(&self, off: u32) -> &AtomicU32 {
            // SAFETY: `off` comes from the kernel's offsets into the mapped ring; aligned u32s.
            unsafe { &*self.ring.add(off as usize).cast::<AtomicU32>() }
        }

        /// Queues an IORING_OP_OPENAT of the scratch path with O_WRONLY|O_CREAT, by writing
        /// memory only.
        fn queue_openat(&self) {
            self.queue(IORING_OP_OPENAT, 0, self.path.as_ptr() as u64, 0o644);
        }

        /// Queues one request (memory only): `opcode`, SQE `flags`, `addr`, `len`; openat's
        /// flags and AT_FDCWD are filled in for IORING_OP_OPENAT.
        fn queue(&self, opcode: u8, flags: u8, addr: u64, len: u32) {
            self.queue_with(opcode, flags, addr, len, |_| {});
        }

        /// As `queue`, with `fill` writing more fields into the zeroed SQE before it is queued.
        fn queue_with(&self, opcode: u8, flags: u8, addr: u64, len: u32, fill: impl Fn(*mut u8)) {
            let tail = self.word(self.p.sq_off.tail).load(Ordering::Acquire);
            let mask = self.word(self.p.sq_off.ring_mask).load(Ordering::Relaxed);
            let idx = tail & mask;
            // SAFETY: `idx` is within the SQE array and the index array, both mapped.
            unsafe {
                let sqe = self.sqes.add(idx as usize * 64);
                std::ptr::write_bytes(sqe, 0, 64);
                *sqe = opcode;
                *sqe.add(1) = flags;
                *sqe.add(16).cast::<u64>() = addr;
                *sqe.add(24).cast::<u32>() = len;
                if opcode == IORING_OP_OPENAT {
                    *sqe.add(4).cast::<i32>() = libc::AT_FDCWD;
                    *sqe.add(28).cast::<u32>() = (libc::O_WRONLY | libc::O_CREAT) as u32;
                }
                *sqe.add(32).cast::<u64>() = 0x5ade;
                fill(sqe);
                let array = self
                    .ring
                    .add(self.p.sq_off.array as usize)
                    .cast::<u32>()
                    .add(idx as usize);
                *array = idx;
            }
            self.word(self.p.sq_off.tail)
                .store(tail.wrapping_add(1), Ordering::Release);
        }

        fn enter(&self) -> i64 {
            sys(
                libc::SYS_io_uring_enter,
                [
                    self.fd as u64,
                    1,
                    1,
                    IORING_ENTER_GETEVENTS | self.enter_flags,
                    0,
                    0,
                ],
            )
        }

        /// The result of the first completion, waiting up to `wait` by reading memory only.
        fn completion(&self, wait: Duration) -> Option<i32> {
            let start = Instant::now();
            loop {
                let head = self.word(self.p.cq_off.head).load(Ordering::Acquire);
                let tail = self.word(self.p.cq_off.tail).load(Ordering::Acquire);
                if head != tail {
                    let mask = self.word(self.p.cq_off.ring_mask).load(Ordering::Relaxed);
                    // SAFETY: a completion entry inside the mapped ring.
                    let res = unsafe {
                        *self
                            .ring
                            .add(self.p.cq_off.cqes as usize + (head & mask) as usize * 16 + 8)
                            .cast::<i32>()
                    };
                    return Some(res);
                }
                if start.elapsed() > wait {
                    return None;
                }
                std::thread::sleep(Duration::from_millis(2));
            }
        }

        /// Wakes the SQPOLL thread, which sleeps from its start until the first wakeup, and
        /// waits until it runs: a ring in use before the phase.
        fn wake(&self) {
            let start = Instant::now();
            while !self.needs_wakeup() && start.elapsed() < Duration::from_secs(2) {
                std::thread::sleep(Duration::from_millis(1));
            }
            sys(
                libc::SYS_io_uring_enter,
                [
                    self.fd as u64,
                    0,
                    0,
                    IORING_ENTER_SQ_WAKEUP | self.enter_flags,
                    0,
                    0,
                ],
            );
            let start = Instant::now();
            while self.needs_wakeup() && start.elapsed() < Duration::from_secs(1) {
                std::thread::sleep(Duration::from_millis(1));
            }
        }

        fn needs_wakeup(&self) -> bool {
            self.word(self.p.sq_off.flags).load(Ordering::Acquire) & IORING_SQ_NEED_WAKEUP != 0
        }
    }

    fn io_uring_control() {
        let ring = Ring::new(0, &child_scratch("uring-control"));
        ring.queue_openat();
        say("enter", kres_libc(ring.enter()));
        say(
            "completion",
            format!("{:?}", ring.completion(Duration::from_secs(2))),
        );
        let sqpoll = Ring::new(IORING_SETUP_SQPOLL, &child_scratch("uring-control-sqpoll"));
        sqpoll.wake();
        say("sqpoll thread awake", !sqpoll.needs_wakeup());
        sqpoll.queue_openat();
        say(
            "sqpoll completion without a syscall",
            format!("{:?}", sqpoll.completion(Duration::from_secs(2))),
        );
    }

    fn kres_libc(r: i64) -> String {
        res(r)
    }

    fn io_uring_setup_after_the_phase() {
        pledge("stdio error");
        let free = lowest_free_fd();
        say(
            "io_uring_setup",
            match io_uring_setup(0) {
                Ok((fd, _)) => format!("ok {fd}"),
                Err(e) => errname(e),
            },
        );
        say(
            "io_uring_setup SQPOLL",
            match io_uring_setup(IORING_SETUP_SQPOLL) {
                Ok((fd, _)) => format!("ok {fd}"),
                Err(e) => errname(e),
            },
        );
        say("new descriptor", is_open(free));
    }

    fn io_uring_setup_reported() {
        pledge("stdio rpath wpath cpath");
        let _ = io_uring_setup(0);
        say("returned", "from io_uring_setup");
    }

    fn io_uring_ring_from_before(error: bool) {
        let ring = Ring::new(
            0,
            &child_scratch(if error {
                "uring-old"
            } else {
                "uring-old-report"
            }),
        );
        if pledge_refused(if error { "stdio error" } else { "stdio" }) {
            return;
        }
        ring.queue_openat();
        say("io_uring_enter", res(ring.enter()));
        let mut probe = [0u8; 512];
        say(
            "io_uring_register",
            res(sys(
                libc::SYS_io_uring_register,
                [
                    ring.fd as u64,
                    IORING_REGISTER_PROBE,
                    probe.as_mut_ptr() as u64,
                    16,
                    0,
                    0,
                ],
            )),
        );
        say(
            "completion",
            format!("{:?}", ring.completion(Duration::from_millis(300))),
        );
    }

    /// A SQPOLL ring made (and in use) before the phase. With `close_fd`, its descriptor is
    /// closed first: the mapped ring keeps the instance and its kernel thread alive.
    fn io_uring_sqpoll_ring_from_before(close_fd: bool) {
        let name = if close_fd {
            "uring-sqpoll-closed"
        } else {
            "uring-sqpoll"
        };
        let ring = Ring::new(IORING_SETUP_SQPOLL, &child_scratch(name));
        ring.wake();
        say("sqpoll thread awake before the phase", !ring.needs_wakeup());
        if close_fd {
            // SAFETY: closes the ring's descriptor; the mappings stay.
            unsafe { libc::close(ring.fd) };
        }
        if pledge_refused("stdio") {
            return;
        }
        // No syscall from here: the kernel's SQPOLL thread reads the queue by itself.
        ring.queue_openat();
        say("needs wakeup", ring.needs_wakeup());
        say(
            "completion",
            format!("{:?}", ring.completion(Duration::from_secs(2))),
        );
    }

    /// A SQPOLL ring with no descriptor and no mapping (`Ring::hidden`), awake before the phase.
    /// With `pledge` false, the control: no sandbox, the same request creates the file.
    fn io_uring_hidden_sqpoll_ring(pledge: bool) {
        let name = if pledge {
            "uring-hidden"
        } else {
            "uring-hidden-control"
        };
        let ring = Ring::hidden(IORING_SETUP_SQPOLL, &child_scratch(name));
        ring.wake();
        say("sqpoll thread awake before the phase", !ring.needs_wakeup());
        let fds = std::fs::read_dir("/proc/self/fd")
            .unwrap()
            .flatten()
            .filter(|e| {
                std::fs::read_link(e.path()).is_ok_and(|t| t.to_string_lossy().contains("io_uring"))
            })
            .count();
        let maps = std::fs::read_to_string("/proc/self/maps")
            .unwrap()
            .lines()
            .filter(|l| l.contains("io_uring"))
            .count();
        say("io_uring descriptors and mappings", fds + maps);
        if pledge && pledge_refused("stdio") {
            return;
        }
        ring.queue_openat();
        say(
            "completion",
            format!("{:?}", ring.completion(Duration::from_secs(2))),
        );
    }

    fn io_uring_workers() -> usize {
        std::fs::read_dir("/proc/self/task")
            .unwrap()
            .flatten()
            .filter(|e| {
                std::fs::read_to_string(e.path().join("comm"))
                    .is_ok_and(|c| c.starts_with("iou-wrk-"))
            })
            .count()
    }

    /// A ring whose request ran in an io_uring worker thread, closed and unmapped just before
    /// the phase: its worker goes with the ring's teardown, which the first phase waits for.
    fn io_uring_worker_of_a_closed_ring() {
        let ring = Ring::new(0, &child_scratch("uring-closed-worker"));
        ring.queue(
            IORING_OP_OPENAT,
            IOSQE_ASYNC,
            ring.path.as_ptr() as u64,
            0o644,
        );
        say("enter", res(ring.enter()));
        say(
            "completion",
            format!("{:?}", ring.completion(Duration::from_secs(2))),
        );
        say("worker threads before closing", io_uring_workers());
        let (ring_len, sqes_len) = Ring::lengths(&ring.p);
        // SAFETY: unmaps the two mappings `Ring::new` made and closes the ring; nothing uses
        // them afterwards.
        unsafe {
            libc::munmap(ring.ring.cast(), ring_len);
            libc::munmap(ring.sqes.cast(), sqes_len);
            libc::close(ring.fd);
        }
        if pledge_refused("stdio rpath") {
            return;
        }
        say("worker threads after the phase began", io_uring_workers());
    }

    /// A ring without polling thread, descriptor or mapping (`Ring::hidden` without SQPOLL),
    /// with two requests submitted before the phase: a read from a pipe, run by a worker thread
    /// where it blocks, hard-linked to an openat(O_CREAT) that runs when the read completes.
    /// After the phase, writing one byte to the pipe (stdio) would release the openat. With
    /// `pledge` false, the control: the same without a sandbox creates the file.
    fn io_uring_hidden_ring_with_a_waiting_request(pledge: bool) {
        let name = if pledge {
            "uring-hidden-waiting"
        } else {
            "uring-hidden-waiting-control"
        };
        let ring = Ring::hidden(0, &child_scratch(name));
        let mut pipe = [0i32; 2];
        // SAFETY: writes two descriptors into `pipe`.
        assert_eq!(unsafe { libc::pipe(pipe.as_mut_ptr()) }, 0);
        let mut byte = 0u8;
        ring.queue_with(
            IORING_OP_READ,
            IOSQE_ASYNC | IOSQE_IO_HARDLINK,
            (&raw mut byte) as u64,
            1,
            |sqe| {
                // SAFETY: the SQE's fd (offset 4) and file offset (8, -1: the pipe's position).
                unsafe {
                    *sqe.add(4).cast::<i32>() = pipe[0];
                    *sqe.add(8).cast::<u64>() = u64::MAX;
                }
            },
        );
        ring.queue_openat();
        say(
            "submitted before the phase",
            res(sys(
                libc::SYS_io_uring_enter,
                [ring.fd as u64, 2, 0, ring.enter_flags, 0, 0],
            )),
        );
        let start = Instant::now();
        while io_uring_workers() == 0 && start.elapsed() < Duration::from_secs(2) {
            std::thread::sleep(Duration::from_millis(1));
        }
        say("worker threads", io_uring_workers());
        if pledge && pledge_refused("stdio") {
            return;
        }
        // SAFETY: writes one byte from a local to the pipe.
        let wrote = unsafe { libc::write(pipe[1], b"x".as_ptr().cast(), 1) };
        say("wrote to the pipe", wrote);
        std::thread::sleep(Duration::from_millis(300));
        let head = ring.word(ring.p.cq_off.head).load(Ordering::Acquire);
        let tail = ring.word(ring.p.cq_off.tail).load(Ordering::Acquire);
        say("completions", tail.wrapping_sub(head));
    }

    /// Work queued before the phase: a 300 ms timeout hard-linked to an openat, submitted
    /// before the phase; the openat runs after it, in a kernel worker.
    fn io_uring_work_queued_before() {
        let ring = Ring::new(0, &child_scratch("uring-queued"));
        let ts = [0i64, 300_000_000];
        ring.queue(
            IORING_OP_TIMEOUT,
            IOSQE_IO_HARDLINK,
            (&raw const ts) as u64,
            1,
        );
        ring.queue_openat();
        say(
            "submitted before the phase",
            res(sys(
                libc::SYS_io_uring_enter,
                [ring.fd as u64, 2, 0, 0, 0, 0],
            )),
        );
        if pledge_refused("stdio") {
            return;
        }
        std::thread::sleep(Duration::from_millis(800));
        let head = ring.word(ring.p.cq_off.head).load(Ordering::Acquire);
        let tail = ring.word(ring.p.cq_off.tail).load(Ordering::Acquire);
        say("completions after the phase", tail.wrapping_sub(head));
    }

    // ---- clone3, openat2, namespaces ------------------------------------------------------------

    fn clone3_openat2_enosys() {
        let (mr, mw) = marker_pipe();
        pledge("stdio rpath");
        // struct clone_args: flags, pidfd, child_tid, parent_tid, exit_signal, stack, ...
        let mut args = [0u64; 11];
        args[4] = libc::SIGCHLD as u64;
        let r = spawning_syscall(
            libc::SYS_clone3 as u64,
            [(&raw mut args) as u64, 88, 0, 0, 0, 0],
            mw,
        );
        say("clone3 fork", kres(r));
        args[0] = libc::CLONE_NEWUSER as u64;
        let r = spawning_syscall(
            libc::SYS_clone3 as u64,
            [(&raw mut args) as u64, 88, 0, 0, 0, 0],
            mw,
        );
        say("clone3 CLONE_NEWUSER", kres(r));
        // SAFETY: waitpid with no status pointer.
        let w = unsafe { libc::waitpid(-1, std::ptr::null_mut(), libc::WNOHANG) };
        say("waitpid", res(i64::from(w)));
        say("children that ran", drain(mr));
        let free = lowest_free_fd();
        // struct open_how: flags, mode, resolve
        let how = [libc::O_RDONLY as u64, 0, 0];
        let host = CString::new("/etc/hostname").unwrap();
        let r = sys(
            libc::SYS_openat2,
            [
                libc::AT_FDCWD as u64,
                host.as_ptr() as u64,
                (&raw const how) as u64,
                24,
                0,
                0,
            ],
        );
        say("openat2 read", res(r));
        say("new descriptor", is_open(free));
        let created = c(&child_scratch("openat2"));
        let how = [(libc::O_WRONLY | libc::O_CREAT) as u64, 0o644, 0];
        let r = sys(
            libc::SYS_openat2,
            [
                libc::AT_FDCWD as u64,
                created.as_ptr() as u64,
                (&raw const how) as u64,
                24,
                0,
                0,
            ],
        );
        say("openat2 create", res(r));
        let h = std::thread::spawn(|| 6 * 7);
        let v = h.join().unwrap();
        let s: i32 = std::thread::scope(|s| {
            let a = s.spawn(|| 1);
            let b = s.spawn(|| 2);
            a.join().unwrap() + b.join().unwrap()
        });
        say("threads work", format!("{v} {s}"));
    }

    /// A process in new user and network namespaces, made before the phase: `(pid, control)`;
    /// it exits when `control` is closed.
    fn namespaced_helper() -> (i32, i32) {
        let (ready_r, ready_w) = marker_pipe();
        let mut ctl = [0; 2];
        // SAFETY: a pipe into a local array.
        assert_eq!(unsafe { libc::pipe(ctl.as_mut_ptr()) }, 0);
        // SAFETY: the child makes only async-signal-safe calls and _exits.
        let pid = unsafe { libc::fork() };
        if pid == 0 {
            // SAFETY: as above.
            unsafe {
                libc::close(ctl[1]);
                let ok = libc::unshare(libc::CLONE_NEWUSER | libc::CLONE_NEWNET) == 0;
                libc::write(ready_w, [u8::from(ok)].as_ptr().cast(), 1);
                let mut b = 0u8;
                libc::read(ctl[0], (&raw mut b).cast(), 1);
                libc::_exit(0);
            }
        }
        // SAFETY: closes our copy of the read end.
        unsafe { libc::close(ctl[0]) };
        let start = Instant::now();
        let mut b = [0u8; 1];
        loop {
            // SAFETY: reads one byte into a local.
            if unsafe { libc::read(ready_r, b.as_mut_ptr().cast(), 1) } == 1 {
                break;
            }
            assert!(
                start.elapsed() < Duration::from_secs(5),
                "helper did not start"
            );
            std::thread::sleep(Duration::from_millis(2));
        }
        assert_eq!(b[0], 1, "the helper could not unshare");
        (pid, ctl[1])
    }

    fn ns_link(which: &str) -> String {
        std::fs::read_link(format!("/proc/self/ns/{which}"))
            .map(|p| p.display().to_string())
            .unwrap_or_else(|e| format!("unreadable: {e}"))
    }

    fn open_ns(pid: i32, which: &str) -> i32 {
        let p = CString::new(format!("/proc/{pid}/ns/{which}")).unwrap();
        // SAFETY: opens a path read-only.
        let fd = unsafe { libc::open(p.as_ptr(), libc::O_RDONLY | libc::O_CLOEXEC) };
        assert!(fd >= 0);
        fd
    }

    fn namespaces(sandboxed: bool) {
        let (helper, ctl) = namespaced_helper();
        let userfd = open_ns(helper, "user");
        let netfd = open_ns(helper, "net");
        let (mr, mw) = marker_pipe();
        let (user0, net0) = (ns_link("user"), ns_link("net"));
        // SAFETY: getuid has no arguments.
        let uid0 = unsafe { libc::getuid() };
        if sandboxed {
            pledge("stdio rpath proc error");
            let sigchld = libc::SIGCHLD as u64;
            for (what, flags) in [
                ("clone CLONE_NEWUSER", libc::CLONE_NEWUSER as u64 | sigchld),
                ("clone CLONE_NEWNET", libc::CLONE_NEWNET as u64 | sigchld),
                ("clone CLONE_NEWPID", libc::CLONE_NEWPID as u64 | sigchld),
                (
                    "clone CLONE_NEWUSER, junk high half",
                    0xffff_ffff_0000_0000 | libc::CLONE_NEWUSER as u64 | sigchld,
                ),
            ] {
                say(
                    what,
                    kres(spawning_syscall(
                        libc::SYS_clone as u64,
                        [flags, 0, 0, 0, 0, 0],
                        mw,
                    )),
                );
            }
            say("children that ran", drain(mr));
            for (what, flags) in [
                ("unshare CLONE_NEWUSER", libc::CLONE_NEWUSER),
                ("unshare CLONE_NEWNET", libc::CLONE_NEWNET),
                ("unshare CLONE_NEWNS", libc::CLONE_NEWNS),
            ] {
                // SAFETY: unshare with flags only.
                say(what, res(i64::from(unsafe { libc::unshare(flags) })));
            }
        }
        // SAFETY: setns on descriptors we opened.
        let r_net = unsafe { libc::setns(netfd, libc::CLONE_NEWNET) };
        say("setns net", res(i64::from(r_net)));
        // SAFETY: as above.
        let r_user = unsafe { libc::setns(userfd, libc::CLONE_NEWUSER) };
        say("setns user", res(i64::from(r_user)));
        if !sandboxed {
            // SAFETY: unshare with flags only.
            let r = unsafe { libc::unshare(libc::CLONE_NEWUTS) };
            say("control unshare CLONE_NEWUTS", res(i64::from(r)));
        }
        say("user namespace unchanged", ns_link("user") == user0);
        say("net namespace unchanged", ns_link("net") == net0);
        // SAFETY: getuid has no arguments.
        say("uid unchanged", unsafe { libc::getuid() } == uid0);
        if sandboxed {
            // A plain fork still works under proc, and its marker arrives: the check can see
            // a child that ran.
            let r = spawning_syscall(
                libc::SYS_clone as u64,
                [libc::SIGCHLD as u64, 0, 0, 0, 0, 0],
                mw,
            );
            say("plain fork", if r > 0 { "ok" } else { "failed" });
            std::thread::sleep(Duration::from_millis(50));
            say("children that ran after a plain fork", drain(mr));
        }
        // SAFETY: ends the helper.
        unsafe { libc::close(ctl) };
        let _ = helper;
    }

    fn clone_newuser_reported() {
        pledge("stdio proc");
        let r = spawning_syscall(
            libc::SYS_clone as u64,
            [
                libc::CLONE_NEWUSER as u64 | libc::SIGCHLD as u64,
                0,
                0,
                0,
                0,
                0,
            ],
            -1,
        );
        say("returned", r);
    }

    // ---- a sibling process of the same user -----------------------------------------------------

    static SECRET: AtomicU64 = AtomicU64::new(0x1111_1111_1111_1111);

    struct Sibling {
        pid: i32,
        cmd: i32,
        reply: i32,
        fd_in_sibling: i32,
        pidfd: i32,
    }

    /// Forks a sibling that answers 'r' with SECRET as it sees it, exits on 'q', and on EOF (its
    /// parent died) creates `survived` then exits. It opens a file of its own for pidfd_getfd.
    fn sibling(survived: &std::path::Path) -> Sibling {
        let mut cmd = [0; 2];
        let mut rep = [0; 2];
        let marker = c(survived);
        let host = CString::new("/etc/hostname").unwrap();
        // SAFETY: two pipes into local arrays.
        unsafe {
            assert_eq!(libc::pipe(cmd.as_mut_ptr()), 0);
            assert_eq!(libc::pipe(rep.as_mut_ptr()), 0);
        }
        // SAFETY: the child makes only async-signal-safe calls (read, write, open, _exit).
        let pid = unsafe { libc::fork() };
        if pid == 0 {
            // SAFETY: as above.
            unsafe {
                libc::close(cmd[1]);
                libc::close(rep[0]);
                let own = libc::open(host.as_ptr(), libc::O_RDONLY);
                libc::write(rep[1], (&raw const own).cast(), 4);
                loop {
                    let mut b = 0u8;
                    if libc::read(cmd[0], (&raw mut b).cast(), 1) != 1 {
                        let fd = libc::open(marker.as_ptr(), libc::O_WRONLY | libc::O_CREAT, 0o644);
                        libc::close(fd);
                        libc::_exit(0);
                    }
                    match b {
                        b'r' => {
                            let v = SECRET.load(Ordering::SeqCst);
                            libc::write(rep[1], (&raw const v).cast(), 8);
                        }
                        _ => libc::_exit(0),
                    }
                }
            }
        }
        // SAFETY: our ends of the pipes; the sibling's fd number arrives first.
        unsafe {
            libc::close(cmd[0]);
            libc::close(rep[1]);
            let mut fd = 0i32;
            assert_eq!(libc::read(rep[0], (&raw mut fd).cast(), 4), 4);
            let pidfd =
                i32::try_from(sys(libc::SYS_pidfd_open, [pid as u64, 0, 0, 0, 0, 0])).unwrap();
            assert!(pidfd >= 0);
            Sibling {
                pid,
                cmd: cmd[1],
                reply: rep[0],
                fd_in_sibling: fd,
                pidfd,
            }
        }
    }

    impl Sibling {
        /// SECRET as the sibling sees it, if it answers within two seconds.
        fn secret(&self) -> Option<u64> {
            // SAFETY: writes one byte, then polls and reads eight into a local.
            unsafe {
                if libc::write(self.cmd, b"r".as_ptr().cast(), 1) != 1 {
                    return None;
                }
                let mut pfd = libc::pollfd {
                    fd: self.reply,
                    events: libc::POLLIN,
                    revents: 0,
                };
                if libc::poll(&raw mut pfd, 1, 2000) != 1 {
                    return None;
                }
                let mut v = 0u64;
                (libc::read(self.reply, (&raw mut v).cast(), 8) == 8).then_some(v)
            }
        }

        /// Whether the sibling is running (not exited, not stopped).
        fn running(&self) -> bool {
            let mut st = 0;
            // SAFETY: waitpid on our own child with a local status.
            let r = unsafe {
                libc::waitpid(
                    self.pid,
                    &raw mut st,
                    libc::WNOHANG | libc::WUNTRACED | libc::__WALL,
                )
            };
            r == 0
        }

        /// Tells the sibling to exit and returns how it ended.
        fn finish(&self) -> String {
            let mut st = 0;
            // SAFETY: writes one byte to our pipe, then waits for our own child.
            unsafe {
                libc::write(self.cmd, b"q".as_ptr().cast(), 1);
                libc::waitpid(self.pid, &raw mut st, libc::__WALL);
            }
            if libc::WIFEXITED(st) {
                format!("exit {}", libc::WEXITSTATUS(st))
            } else if libc::WIFSIGNALED(st) {
                format!("signal {}", libc::WTERMSIG(st))
            } else {
                format!("status {st:#x}")
            }
        }

        fn write_secret(&self, value: u64) -> i64 {
            let local = libc::iovec {
                iov_base: (&raw const value).cast_mut().cast(),
                iov_len: 8,
            };
            let remote = libc::iovec {
                iov_base: SECRET.as_ptr().cast(),
                iov_len: 8,
            };
            // SAFETY: one local and one remote iovec of eight bytes each.
            unsafe {
                libc::process_vm_writev(self.pid, &raw const local, 1, &raw const remote, 1, 0)
                    as i64
            }
        }
    }

    fn sibling_control() {
        let sib = sibling(&child_scratch("sibling-control"));
        say("secret before", format!("{:#x}", sib.secret().unwrap()));
        say(
            "process_vm_writev",
            res(sib.write_secret(0x2222_2222_2222_2222)),
        );
        say(
            "secret after",
            format!("{:?}", sib.secret().map(|v| format!("{v:#x}"))),
        );
        say(
            "pidfd_getfd",
            if sys(
                libc::SYS_pidfd_getfd,
                [sib.pidfd as u64, sib.fd_in_sibling as u64, 0, 0, 0, 0],
            ) >= 0
            {
                "ok"
            } else {
                "failed"
            },
        );
        say("sibling", sib.finish());
    }

    fn sibling_untouchable() {
        let sib = sibling(&child_scratch("sibling-untouchable"));
        pledge("stdio proc error");
        let pid = sib.pid as u64;
        say(
            "ptrace(PTRACE_ATTACH)",
            res(sys(
                libc::SYS_ptrace,
                [libc::PTRACE_ATTACH as u64, pid, 0, 0, 0, 0],
            )),
        );
        say(
            "ptrace(PTRACE_SEIZE)",
            res(sys(libc::SYS_ptrace, [0x4206, pid, 0, 0, 0, 0])),
        );
        say(
            "process_vm_writev",
            res(sib.write_secret(0x2222_2222_2222_2222)),
        );
        let mut v = 0u64;
        let local = libc::iovec {
            iov_base: (&raw mut v).cast(),
            iov_len: 8,
        };
        let remote = libc::iovec {
            iov_base: SECRET.as_ptr().cast(),
            iov_len: 8,
        };
        // SAFETY: one local and one remote iovec of eight bytes each.
        let r = unsafe {
            libc::process_vm_readv(sib.pid, &raw const local, 1, &raw const remote, 1, 0)
        };
        say("process_vm_readv", res(r as i64));
        let free = lowest_free_fd();
        say(
            "pidfd_getfd",
            res(sys(
                libc::SYS_pidfd_getfd,
                [sib.pidfd as u64, sib.fd_in_sibling as u64, 0, 0, 0, 0],
            )),
        );
        say("new descriptor", is_open(free));
        // SAFETY: getpid has no arguments.
        let me = unsafe { libc::getpid() } as u64;
        say(
            "kcmp",
            res(sys(
                libc::SYS_kcmp,
                [
                    me,
                    pid,
                    0, /* KCMP_FILE */
                    0,
                    sib.fd_in_sibling as u64,
                    0,
                ],
            )),
        );
        say("sibling running", sib.running());
        say(
            "secret",
            format!("{:?}", sib.secret().map(|v| format!("{v:#x}"))),
        );
        say("sibling", sib.finish());
    }

    fn sibling_signals_under_stdio() {
        let sib = sibling(&child_scratch("sibling-signals"));
        pledge("stdio error");
        let pid = sib.pid as u64;
        // SAFETY: getpid has no arguments.
        let me = unsafe { libc::getpid() } as u64;
        let term = libc::SIGTERM as u64;
        let mut info = [0u8; 128];
        info[..4].copy_from_slice(&libc::SIGTERM.to_le_bytes());
        info[8..12].copy_from_slice(&(-1i32).to_le_bytes()); // SI_QUEUE
        for (what, nr, args) in [
            ("kill SIGTERM", libc::SYS_kill, [pid, term, 0]),
            (
                "kill SIGKILL",
                libc::SYS_kill,
                [pid, libc::SIGKILL as u64, 0],
            ),
            (
                "kill, own pid in the high half",
                libc::SYS_kill,
                [(me << 32) | pid, term, 0],
            ),
            ("tkill", libc::SYS_tkill, [pid, term, 0]),
            ("tgkill", libc::SYS_tgkill, [pid, pid, term]),
            (
                "rt_sigqueueinfo",
                libc::SYS_rt_sigqueueinfo,
                [pid, term, info.as_ptr() as u64],
            ),
            (
                "pidfd_send_signal",
                libc::SYS_pidfd_send_signal,
                [sib.pidfd as u64, term, 0],
            ),
        ] {
            say(what, res(sys(nr, [args[0], args[1], args[2], 0, 0, 0])));
        }
        // F_SETOWN would let SIGIO reach the sibling.
        // SAFETY: fcntl on our own pipe.
        say(
            "fcntl F_SETOWN",
            res(i64::from(unsafe {
                libc::fcntl(sib.cmd, libc::F_SETOWN, sib.pid)
            })),
        );
        std::thread::sleep(Duration::from_millis(50));
        say("sibling running", sib.running());
        say(
            "secret",
            format!("{:?}", sib.secret().map(|v| format!("{v:#x}"))),
        );
        say("sibling", sib.finish());
    }

    fn sibling_kill_reported() {
        let sib = sibling(&child_scratch("sibling-reported"));
        pledge("stdio");
        say("sibling pid", sib.pid);
        // SAFETY: a signal to the sibling; the filter must stop it.
        let r = unsafe { libc::kill(sib.pid, libc::SIGTERM) };
        say("returned", r);
    }

    // ---- PROT_EXEC by every route -----------------------------------------------------------------

    fn shm_segment() -> i32 {
        // SAFETY: a new private segment of one page.
        let id = unsafe { libc::shmget(libc::IPC_PRIVATE, 4096, libc::IPC_CREAT | 0o600) };
        assert!(id >= 0);
        say("shmid", id);
        id
    }

    fn remove_shm(r: &Run) {
        for line in r.stdout.lines() {
            if let Some(id) = line.strip_prefix("shmid: ") {
                // SAFETY: removes a segment the child made.
                unsafe { libc::shmctl(id.parse().unwrap(), libc::IPC_RMID, std::ptr::null_mut()) };
            }
        }
    }

    fn prot_exec_control() {
        let shm = shm_segment();
        let page = page_rw();
        // SAFETY: the page is ours.
        unsafe { std::ptr::copy_nonoverlapping(RET42.as_ptr(), page, RET42.len()) };
        // SAFETY: changes our own page's protection.
        let r = unsafe { libc::mprotect(page.cast(), 4096, libc::PROT_READ | libc::PROT_EXEC) };
        say("mprotect", res(i64::from(r)));
        say("code ran", call_code(page));
        say(
            "/proc/self/mem",
            write_code_through("/proc/self/mem", libc::AT_FDCWD, libc::O_RDWR),
        );
        say("patchme", patchme());
        // SAFETY: attaches our own segment.
        let at = unsafe { libc::shmat(shm, std::ptr::null(), 0o100000) };
        say("shmat SHM_EXEC", perms_at(at as u64));
        // SAFETY: personality with a flag word.
        unsafe { libc::personality(0x0040_0000) };
        let p = page_at(0, libc::PROT_READ, 0);
        say("PROT_READ under READ_IMPLIES_EXEC", perms_at(p as u64));
        let fd = memfd_with_elf(0);
        let (_a, argv, envp) = exec_args();
        let path = CString::new(format!("/proc/self/fd/{fd}")).unwrap();
        std::io::stdout().flush().unwrap();
        // SAFETY: argv and envp are NULL-terminated arrays of C strings that outlive the call.
        unsafe { libc::execve(path.as_ptr(), argv.as_ptr(), envp.as_ptr()) };
        say("execve", errname(errno()));
    }

    fn prot_exec_routes(policy: &str) {
        let shm = shm_segment();
        // SAFETY: opens /proc read-only as a directory.
        let proc_dir = unsafe { libc::open(c"/proc".as_ptr(), libc::O_RDONLY | libc::O_DIRECTORY) };
        pledge(policy);
        let page = page_rw();
        // SAFETY: the page is ours.
        unsafe { std::ptr::copy_nonoverlapping(RET42.as_ptr(), page, RET42.len()) };
        let rx = (libc::PROT_READ | libc::PROT_EXEC) as u64;
        let anon = (libc::MAP_PRIVATE | libc::MAP_ANONYMOUS) as u64;
        let mmap = |prot: u64, flags: u64, fd: u64| {
            let r = sys(libc::SYS_mmap, [0, 4096, prot, flags, fd, 0]);
            if r == libc::MAP_FAILED as i64 {
                errname(errno())
            } else {
                format!("mapped {}", perms_at(r as u64))
            }
        };
        say("mmap PROT_EXEC", mmap(rx, anon, u64::MAX));
        say(
            "mmap PROT_EXEC, junk high half",
            mmap(0xffff_ffff_0000_0000 | rx, anon, u64::MAX),
        );
        // SAFETY: opens a file read-only.
        let bin = unsafe { libc::open(c"/bin/true".as_ptr(), libc::O_RDONLY) };
        say(
            "mmap PROT_EXEC of /bin/true",
            mmap(rx, libc::MAP_PRIVATE as u64, bin as u64),
        );
        let p = page as u64;
        for (what, prot) in [
            ("mprotect PROT_EXEC", rx),
            ("mprotect RWX", rx | libc::PROT_WRITE as u64),
            (
                "mprotect PROT_EXEC, junk high half",
                0xffff_ffff_0000_0000 | rx,
            ),
        ] {
            say(what, res(sys(libc::SYS_mprotect, [p, 4096, prot, 0, 0, 0])));
        }
        say(
            "pkey_mprotect PROT_EXEC",
            res(sys(libc::SYS_pkey_mprotect, [p, 4096, rx, u64::MAX, 0, 0])),
        );
        say(
            "personality READ_IMPLIES_EXEC",
            res(sys(libc::SYS_personality, [0x0040_0000, 0, 0, 0, 0, 0])),
        );
        let persona = sys(libc::SYS_personality, [0xffff_ffff, 0, 0, 0, 0, 0]);
        say("READ_IMPLIES_EXEC set", persona & 0x0040_0000 != 0);
        let q = page_at(0, libc::PROT_READ, 0);
        say("a new PROT_READ page", perms_at(q as u64));
        // SAFETY: shmat of our own segment; the filter should refuse it.
        let at = unsafe { libc::shmat(shm, std::ptr::null(), 0o100000) };
        say(
            "shmat SHM_EXEC",
            if at as isize == -1 {
                errname(errno())
            } else {
                format!("attached {}", perms_at(at as u64))
            },
        );
        // SAFETY: a name and MFD_EXEC.
        let m = unsafe { libc::memfd_create(c"x".as_ptr(), 0x10) };
        say("memfd_create MFD_EXEC", res(i64::from(m)));
        // SAFETY: gettid has no arguments.
        let tid = unsafe { libc::gettid() };
        // SAFETY: getpid has no arguments.
        let pid = unsafe { libc::getpid() };
        for path in [
            "/proc/self/mem".to_owned(),
            format!("/proc/{pid}/mem"),
            "/proc/thread-self/mem".to_owned(),
            format!("/proc/self/task/{tid}/mem"),
        ] {
            say(
                &format!("{path} O_RDWR"),
                write_code_through(&path, libc::AT_FDCWD, libc::O_RDWR),
            );
            say(
                &format!("{path} O_WRONLY"),
                write_code_through(&path, libc::AT_FDCWD, libc::O_WRONLY),
            );
        }
        say(
            "self/mem through a /proc descriptor opened before",
            write_code_through("self/mem", proc_dir, libc::O_RDWR),
        );
        say("code page", perms_at(p));
        say("patchme", patchme());
    }

    fn prot_exec_mmap_reported() {
        pledge("stdio rpath wpath cpath");
        let r = sys(
            libc::SYS_mmap,
            [
                0,
                4096,
                (libc::PROT_READ | libc::PROT_EXEC) as u64,
                (libc::MAP_PRIVATE | libc::MAP_ANONYMOUS) as u64,
                u64::MAX,
                0,
            ],
        );
        say("returned", r);
    }

    fn proc_mem_after_dropping_prot_exec() {
        pledge("stdio rpath wpath cpath prot_exec unveil");
        pledge("stdio rpath wpath cpath");
        say(
            "/proc/self/mem",
            write_code_through("/proc/self/mem", libc::AT_FDCWD, libc::O_RDWR),
        );
        say("patchme", patchme());
    }

    fn read_implies_exec_from_before() {
        // SAFETY: personality with a flag word, before the phase.
        unsafe { libc::personality(0x0040_0000) };
        // Memory mapped while the flag was set (the heap, std's own allocations) is writable and
        // executable: the phase must refuse to start beside it rather than clear the flag and
        // leave that memory as it is.
        match sandbox::pledge("stdio rpath wpath cpath") {
            Err(e) => {
                say("refused", e);
                return;
            }
            Ok(_) => say("pledged", "stdio rpath wpath cpath"),
        }
        let page = page_rw();
        // SAFETY: the page is ours.
        unsafe { std::ptr::copy_nonoverlapping(RET42.as_ptr(), page, RET42.len()) };
        let perms = perms_at(page as u64);
        say("PROT_READ|PROT_WRITE page", &perms);
        // SAFETY: mprotect of our own page to read-only.
        unsafe { libc::mprotect(page.cast(), 4096, libc::PROT_READ) };
        let perms2 = perms_at(page as u64);
        say("after mprotect(PROT_READ)", &perms2);
        if perms.contains('x') || perms2.contains('x') {
            say("code ran", call_code(page));
        }
    }

    /// A file mapped executable before the phase (as dlopen maps a library), rewritten after it
    /// through `wpath`: a private mapping shows the file's new bytes where it has not been
    /// copied on write.
    fn file_mapped_executable_before() {
        let path = child_scratch("mapped-code");
        let mut code = vec![0xccu8; 4096];
        code[..RET42.len()].copy_from_slice(&RET42);
        std::fs::write(&path, &code).unwrap();
        let p = c(&path);
        // SAFETY: maps our own file read-only and executable, before any phase.
        let map = unsafe {
            let fd = libc::open(p.as_ptr(), libc::O_RDONLY);
            let m = libc::mmap(
                std::ptr::null_mut(),
                4096,
                libc::PROT_READ | libc::PROT_EXEC,
                libc::MAP_PRIVATE,
                fd,
                0,
            );
            libc::close(fd);
            m.cast::<u8>()
        };
        say("before the phase", call_code(map));
        pledge("stdio rpath wpath cpath");
        // SAFETY: writes `mov eax, 7; ret` over the file's first bytes.
        let n = unsafe {
            let fd = libc::open(p.as_ptr(), libc::O_WRONLY);
            let n = libc::pwrite(fd, [0xb8u8, 7, 0, 0, 0, 0xc3].as_ptr().cast(), 6, 0);
            libc::close(fd);
            n
        };
        say("file rewritten", res(n as i64));
        say("after the phase", call_code(map));
    }

    fn memfd_execveat() {
        // Made before the phase (after it, an executable memfd needs prot_exec).
        let fd = memfd_with_elf(0);
        pledge("stdio rpath wpath cpath exec error");
        let (_a, argv, envp) = exec_args();
        for (what, flags) in [
            ("execveat AT_EMPTY_PATH", libc::AT_EMPTY_PATH as u64),
            (
                "execveat AT_EMPTY_PATH, junk high half",
                0xffff_ffff_0000_0000 | libc::AT_EMPTY_PATH as u64,
            ),
        ] {
            let r = sys(
                libc::SYS_execveat,
                [
                    fd as u64,
                    c"".as_ptr() as u64,
                    argv.as_ptr() as u64,
                    envp.as_ptr() as u64,
                    flags,
                    0,
                ],
            );
            say(what, res(r));
        }
        say("still", "here");
    }

    fn memfd_exec_via_proc(unveiled: bool) {
        let dir = child_scratch(if unveiled {
            "memfd-unveiled"
        } else {
            "memfd-plain"
        });
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        if unveiled {
            sandbox::Restrict::new()
                .unveil(&dir, "rwc")
                .unwrap()
                .pledge("stdio rpath wpath cpath exec")
                .apply()
                .unwrap();
            say("pledged", "with unveil");
            // The disk route: a new executable file, outside every `x` unveil.
            let prog = dir.join("prog");
            let p = c(&prog);
            // SAFETY: creates a file with mode 0755 and writes our buffer.
            unsafe {
                let fd = libc::open(p.as_ptr(), libc::O_WRONLY | libc::O_CREAT, 0o755);
                let elf = tiny_elf(b"disk code ran\n");
                libc::write(fd, elf.as_ptr().cast(), elf.len());
                libc::close(fd);
            }
            let (_a, argv, envp) = exec_args();
            // SAFETY: NULL-terminated argv and envp.
            unsafe { libc::execve(p.as_ptr(), argv.as_ptr(), envp.as_ptr()) };
            say("execve of a new file", errname(errno()));
        } else {
            pledge("stdio rpath wpath cpath exec");
        }
        let fd = memfd_with_elf(0);
        let path = CString::new(format!("/proc/self/fd/{fd}")).unwrap();
        let (_a, argv, envp) = exec_args();
        // SAFETY: NULL-terminated argv and envp.
        unsafe { libc::execve(path.as_ptr(), argv.as_ptr(), envp.as_ptr()) };
        say("execve of the memfd", errname(errno()));
    }

    // ---- terminal injection -------------------------------------------------------------------------

    fn pty() -> (i32, i32) {
        let (mut m, mut s) = (0, 0);
        // SAFETY: openpty with out-pointers to locals and no name, termios or winsize.
        let r = unsafe {
            libc::openpty(
                &raw mut m,
                &raw mut s,
                std::ptr::null_mut(),
                std::ptr::null(),
                std::ptr::null(),
            )
        };
        assert_eq!(r, 0);
        // SAFETY: raw mode on our own terminal, and non-blocking reads on both sides.
        unsafe {
            let mut t: libc::termios = std::mem::zeroed();
            libc::tcgetattr(s, &raw mut t);
            libc::cfmakeraw(&raw mut t);
            libc::tcsetattr(s, libc::TCSANOW, &raw const t);
            libc::fcntl(m, libc::F_SETFL, libc::O_NONBLOCK);
            libc::fcntl(s, libc::F_SETFL, libc::O_NONBLOCK);
        }
        (m, s)
    }

    const TIOCSTI: u64 = 0x5412;
    const TIOCLINUX: u64 = 0x541C;
    const TCGETS: u64 = 0x5401;

    fn ioctl(fd: i32, cmd: u64, arg: u64) -> String {
        res(sys(libc::SYS_ioctl, [fd as u64, cmd, arg, 0, 0, 0]))
    }

    fn tty_control() {
        let (_m, s) = pty();
        let x = b'X';
        say("TIOCSTI", ioctl(s, TIOCSTI, (&raw const x) as u64));
        std::thread::sleep(Duration::from_millis(50));
        say("bytes injected (slave)", drain(s));
    }

    fn tty_injection() {
        let (m, s) = pty();
        pledge("stdio tty error");
        let mut t = [0u8; 128];
        say("TCGETS", ioctl(s, TCGETS, t.as_mut_ptr() as u64));
        say(
            "TCGETS, junk high half",
            ioctl(s, 0xdead_beef_0000_0000 | TCGETS, t.as_mut_ptr() as u64),
        );
        let x = b'X';
        let xp = (&raw const x) as u64;
        for (side, fd) in [("slave", s), ("master", m)] {
            for (what, cmd) in [
                ("TIOCSTI", TIOCSTI),
                ("TIOCSTI, high bit 32", (1 << 32) | TIOCSTI),
                (
                    "TIOCSTI, high half all ones",
                    0xffff_ffff_0000_0000 | TIOCSTI,
                ),
                ("TIOCSTI, TCGETS in the high half", (TCGETS << 32) | TIOCSTI),
            ] {
                say(&format!("{what} on {side}"), ioctl(fd, cmd, xp));
            }
            for sub in [2u8, 3, 6, 11] {
                let arg = [sub, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
                say(
                    &format!("TIOCLINUX {sub} on {side}"),
                    ioctl(fd, TIOCLINUX, arg.as_ptr() as u64),
                );
                say(
                    &format!("TIOCLINUX {sub} on {side}, junk high half"),
                    ioctl(fd, 0xdead_beef_0000_0000 | TIOCLINUX, arg.as_ptr() as u64),
                );
            }
        }
        std::thread::sleep(Duration::from_millis(50));
        say("bytes injected (slave)", drain(s));
        say("bytes injected (master)", drain(m));
    }

    fn tiocsti_reported() {
        let (_m, s) = pty();
        pledge("stdio tty");
        let x = b'X';
        say("returned", ioctl(s, TIOCSTI, (&raw const x) as u64));
    }

    // ---- calls no promise allows --------------------------------------------------------------------

    const KEY_SPEC_USER_KEYRING: i32 = -4;

    fn key_description(parent: u32) -> CString {
        CString::new(format!("sandbox-escape-{parent}")).unwrap()
    }

    /// Makes one of the never-allowed calls with arguments that would work unsandboxed (as root).
    fn never_call(name: &str) -> i64 {
        let mut attr = [0u8; 128];
        match name {
            "keyctl" => sys(
                libc::SYS_keyctl,
                [1 /* JOIN_SESSION_KEYRING */, 0, 0, 0, 0, 0],
            ),
            "add_key" => {
                let d = key_description(std::os::unix::process::parent_id());
                sys(
                    libc::SYS_add_key,
                    [
                        c"user".as_ptr() as u64,
                        d.as_ptr() as u64,
                        b"x".as_ptr() as u64,
                        1,
                        KEY_SPEC_USER_KEYRING as u64,
                        0,
                    ],
                )
            }
            "request_key" => sys(
                libc::SYS_request_key,
                [
                    c"user".as_ptr() as u64,
                    c"sandbox-escape-none".as_ptr() as u64,
                    0,
                    0,
                    0,
                    0,
                ],
            ),
            "bpf" => {
                for (i, v) in [2u32, 4, 4, 1].iter().enumerate() {
                    attr[i * 4..i * 4 + 4].copy_from_slice(&v.to_le_bytes());
                }
                sys(
                    libc::SYS_bpf,
                    [
                        0, /* BPF_MAP_CREATE */
                        attr.as_ptr() as u64,
                        72,
                        0,
                        0,
                        0,
                    ],
                )
            }
            "perf_event_open" => {
                attr[..4].copy_from_slice(&1u32.to_le_bytes()); // PERF_TYPE_SOFTWARE
                attr[4..8].copy_from_slice(&64u32.to_le_bytes());
                sys(
                    libc::SYS_perf_event_open,
                    [attr.as_ptr() as u64, 0, u64::MAX, u64::MAX, 8, 0],
                )
            }
            "userfaultfd" => sys(
                libc::SYS_userfaultfd,
                [libc::O_CLOEXEC as u64, 0, 0, 0, 0, 0],
            ),
            _ => unreachable!(),
        }
    }
    const NEVER: [&str; 6] = [
        "keyctl",
        "add_key",
        "request_key",
        "bpf",
        "perf_event_open",
        "userfaultfd",
    ];

    fn never_control() {
        for name in NEVER {
            say(name, res(never_call(name)));
        }
    }

    fn never_under_every_promise_with_error() {
        let all = format!("{} error", all_but_error());
        pledge(&all);
        for name in NEVER {
            let free = lowest_free_fd();
            say(name, res(never_call(name)));
            say(&format!("{name} new descriptor"), is_open(free));
        }
    }

    fn never_reported(name: &str) {
        pledge(&all_but_error());
        let r = never_call(name);
        say("returned", r);
    }

    /// The id of the key the children try to add, if the user keyring holds it.
    fn find_key() -> Option<i64> {
        let d = key_description(std::process::id());
        let r = sys(
            libc::SYS_keyctl,
            [
                10, /* KEYCTL_SEARCH */
                KEY_SPEC_USER_KEYRING as u64,
                c"user".as_ptr() as u64,
                d.as_ptr() as u64,
                0,
                0,
            ],
        );
        (r >= 0).then_some(r)
    }
    fn remove_key() {
        if let Some(id) = find_key() {
            sys(
                libc::SYS_keyctl,
                [21 /* KEYCTL_INVALIDATE */, id as u64, 0, 0, 0, 0],
            );
        }
    }

    // ---- dodging the penalty --------------------------------------------------------------------------

    extern "C" fn dodge(_: libc::c_int) {}

    fn sigsys_handler_now() -> usize {
        // SAFETY: queries the disposition into a local (act NULL).
        unsafe {
            let mut old: libc::sigaction = std::mem::zeroed();
            libc::sigaction(libc::SIGSYS, std::ptr::null(), &raw mut old);
            old.sa_sigaction
        }
    }

    fn sigsys_handler_stays() {
        let before = sigsys_handler_now();
        // A struct sigaction (SIG_IGN) at an address whose low 32 bits are zero: a filter that
        // checked only the low half of the `act` pointer would take it for NULL.
        let low_zero = page_at(
            0x7_0000_0000,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_FIXED_NOREPLACE,
        );
        // SAFETY: the page is ours; a zeroed sigaction with SIG_IGN is valid.
        unsafe {
            let act = low_zero.cast::<libc::sigaction>();
            std::ptr::write(act, std::mem::zeroed());
            (*act).sa_sigaction = libc::SIG_IGN;
        }
        pledge("stdio");
        let before = if before == 0 {
            sigsys_handler_now()
        } else {
            before
        };
        // SAFETY: changing a disposition; the filter answers without doing it.
        unsafe {
            say(
                "signal(SIG_IGN)",
                libc::signal(libc::SIGSYS, libc::SIG_IGN) != libc::SIG_ERR,
            );
            say(
                "signal(handler)",
                libc::signal(libc::SIGSYS, dodge as *const () as usize) != libc::SIG_ERR,
            );
        }
        let mut ign: libc::sigaction = unsafe_zeroed();
        ign.sa_sigaction = libc::SIG_IGN;
        say(
            "rt_sigaction, SIGSYS with junk in the high half",
            kres_raw(
                libc::SYS_rt_sigaction,
                [
                    (1 << 32) | libc::SIGSYS as u64,
                    (&raw const ign) as u64,
                    0,
                    8,
                ],
            ),
        );
        say(
            "rt_sigaction, act with a zero low half",
            kres_raw(
                libc::SYS_rt_sigaction,
                [libc::SIGSYS as u64, low_zero as u64, 0, 8],
            ),
        );
        say("handler unchanged", sigsys_handler_now() == before);
        let f = std::fs::File::open("/etc/hostname");
        say("opened", f.is_ok());
    }

    fn unsafe_zeroed() -> libc::sigaction {
        // SAFETY: all-zero is a valid sigaction (SIG_DFL, empty mask, no flags).
        unsafe { std::mem::zeroed() }
    }

    fn kres_raw(nr: libc::c_long, a: [u64; 4]) -> String {
        res(sys(nr, [a[0], a[1], a[2], a[3], 0, 0]))
    }

    fn sigsys_ignored() {
        pledge("stdio");
        // SAFETY: SIG_IGN for SIGSYS; the filter answers without doing it.
        unsafe { libc::signal(libc::SIGSYS, libc::SIG_IGN) };
        say("ignored", "SIGSYS");
        let f = std::fs::File::open("/etc/hostname");
        say("opened", f.is_ok());
    }

    fn sigsys_blocked() {
        pledge("stdio rpath");
        // SAFETY: blocks every signal in this thread with a raw rt_sigprocmask.
        unsafe {
            let mut all: libc::sigset_t = std::mem::zeroed();
            libc::sigfillset(&raw mut all);
            let r = libc::syscall(
                libc::SYS_rt_sigprocmask,
                libc::SIG_SETMASK,
                &raw const all,
                0usize,
                8usize,
            );
            say("blocked", res(r));
        }
        let p = c(&child_scratch("sigsys-blocked"));
        // SAFETY: a create the filter must stop.
        let fd = unsafe { libc::open(p.as_ptr(), libc::O_WRONLY | libc::O_CREAT, 0o644) };
        say("created", fd);
    }

    extern "C" fn on_abrt(_: libc::c_int, _: *mut libc::siginfo_t, uc: *mut libc::c_void) {
        // SAFETY: the kernel passes this SA_SIGINFO handler its ucontext; we redirect the
        // interrupted thread to `escaped` on an aligned stack below the current one.
        unsafe {
            let uc = uc.cast::<libc::ucontext_t>();
            let g = &mut (*uc).uc_mcontext.gregs;
            let rsp = g[libc::REG_RSP as usize] as u64;
            g[libc::REG_RSP as usize] = (((rsp - 1024) & !0xf) - 8) as i64;
            g[libc::REG_RIP as usize] = escaped as *const () as usize as i64;
        }
    }

    extern "C" fn escaped() -> ! {
        let msg = b"escaped: running on after a violation\n";
        // SAFETY: write and _exit only.
        unsafe {
            libc::write(1, msg.as_ptr().cast(), msg.len());
            libc::_exit(42);
        }
    }

    /// One attempt to outrun the reporter: other threads keep installing a SIGABRT handler, so
    /// that the reporter's own SIGABRT (after it reset the action to the default) lands in it
    /// instead of killing the process. Two spinning threads on two cores also make the
    /// reporter's thread lose its CPU between its reset and its tgkill now and then.
    fn sigabrt_race_once() {
        for _ in 0..2 {
            std::thread::spawn(|| {
                let mut act = unsafe_zeroed();
                act.sa_sigaction = on_abrt as *const () as usize;
                act.sa_flags = libc::SA_SIGINFO;
                loop {
                    // SAFETY: installs a handler with a valid sigaction.
                    unsafe { libc::sigaction(libc::SIGABRT, &raw const act, std::ptr::null_mut()) };
                }
            });
        }
        pledge("stdio");
        std::thread::sleep(Duration::from_millis(5));
        let f = std::fs::File::open("/etc/hostname");
        say("opened", f.is_ok());
    }

    fn sigabrt_race() {
        let exe = std::env::current_exe().unwrap();
        let (mut aborted, mut escaped, mut other) = (0, 0, Vec::new());
        // Up to 200 attempts (a few seconds when the reporter wins them all), stopping at the
        // first escape.
        for _ in 0..200 {
            if escaped > 0 {
                break;
            }
            let out = std::process::Command::new(&exe)
                .args(["--scenario", "sigabrt_race_once"])
                .output()
                .unwrap();
            let text = String::from_utf8_lossy(&out.stdout);
            // The reporter's end: SIGABRT; or, when the racing thread made a call after the
            // reporter's last filter, SIGSYS; or, when it had already re-installed a handler,
            // exit_group(134). Each ends the process; none lets it run on.
            if text.contains("escaped") {
                escaped += 1;
            } else if out.status.signal() == Some(SIGABRT)
                || out.status.signal() == Some(SIGSYS)
                || out.status.code() == Some(134)
            {
                aborted += 1;
            } else {
                other.push(format!("{:?}", out.status));
            }
        }
        say("attempts ended", aborted);
        say("attempts escaped", escaped);
        say("other outcomes", format!("{other:?}"));
    }

    // ---- phases -----------------------------------------------------------------------------------------

    fn old_thread_restricted() {
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        let path = c(&child_scratch("old-thread"));
        let old = std::thread::spawn(move || {
            rx.recv().unwrap();
            // SAFETY: a create the filter must stop.
            let fd = unsafe { libc::open(path.as_ptr(), libc::O_WRONLY | libc::O_CREAT, 0o644) };
            say("old thread open O_CREAT", res(i64::from(fd)));
            say(
                "old thread io_uring_setup",
                match io_uring_setup(0) {
                    Ok((fd, _)) => format!("ok {fd}"),
                    Err(e) => errname(e),
                },
            );
            // SAFETY: socket with integer arguments.
            let s = unsafe { libc::socket(libc::AF_INET, libc::SOCK_STREAM, 0) };
            say("old thread socket", res(i64::from(s)));
            let r = sys(
                libc::SYS_ptrace,
                [libc::PTRACE_TRACEME as u64, 0, 0, 0, 0, 0],
            );
            say("old thread ptrace(TRACEME)", res(r));
        });
        pledge("stdio error");
        tx.send(()).unwrap();
        old.join().unwrap();
    }

    fn widening_refused() {
        pledge("stdio rpath");
        for wider in [
            "stdio rpath wpath cpath",
            "stdio rpath error",
            "stdio rpath proc",
        ] {
            match sandbox::pledge(wider) {
                Ok(e) => say(&format!("widened to {wider:?}"), format!("{e:?}")),
                Err(e) => say("refused", e),
            }
        }
        let p = c(&child_scratch("widening"));
        // SAFETY: a create the filter must stop.
        let fd = unsafe { libc::open(p.as_ptr(), libc::O_WRONLY | libc::O_CREAT, 0o644) };
        say("created", fd);
    }

    fn penalty_never_softens() {
        let kill = sandbox::pledge_with("stdio", Penalty::Kill).unwrap();
        say(
            "first",
            format!("{:?} installed {}", kill.penalty, kill.installed),
        );
        let report = sandbox::pledge_with("stdio", Penalty::Report).unwrap();
        say(
            "second",
            format!("{:?} installed {}", report.penalty, report.installed),
        );
        let f = std::fs::File::open("/etc/hostname");
        say("opened", f.is_ok());
    }

    fn filter_limit_runtime() {
        let mut n = 0u32;
        let err = loop {
            let penalty = if n % 2 == 0 {
                Penalty::Report
            } else {
                Penalty::Kill
            };
            match sandbox::pledge_with("stdio", penalty) {
                Ok(e) => {
                    assert!(e.installed, "phase {n} installed nothing");
                    n += 1;
                    if n > 100_000 {
                        say("no limit", n);
                        return;
                    }
                }
                Err(e) => break e,
            }
        };
        say("filters installed", n);
        let enomem =
            matches!(&err, PledgeError::Seccomp(e) if e.raw_os_error() == Some(libc::ENOMEM));
        say("error", &err);
        say("Seccomp(ENOMEM)", enomem);
        say("promises in force", format!("{:?}", sandbox::current()));
        let f = std::fs::File::open("/etc/hostname");
        say("opened", f.is_ok());
    }

    #[sandbox::pledge("stdio")]
    fn report_phase() {}

    #[sandbox::pledge("stdio", penalty = "kill")]
    fn kill_phase() {}

    fn filter_limit_attribute() {
        for i in 0..100_000 {
            report_phase();
            kill_phase();
            if i % 16 == 0 {
                say("pairs of phases entered", i);
            }
        }
        say("no limit", "reached");
    }

    // ---- 64-bit arguments -------------------------------------------------------------------------------

    fn high_half_pointers() {
        // Two UDP sockets, and the receiver's address at an address whose low half is zero.
        let rx = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        rx.set_nonblocking(true).unwrap();
        let port = rx.local_addr().unwrap().port();
        let tx = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let addr_page = page_at(
            0x7_0000_0000,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_FIXED_NOREPLACE,
        );
        let lim_page = page_at(
            0x8_0000_0000,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_FIXED_NOREPLACE,
        );
        // SAFETY: both pages are ours.
        unsafe {
            let sa = addr_page.cast::<libc::sockaddr_in>();
            std::ptr::write(sa, std::mem::zeroed());
            (*sa).sin_family = libc::AF_INET as u16;
            (*sa).sin_port = port.to_be();
            (*sa).sin_addr.s_addr = u32::from(std::net::Ipv4Addr::LOCALHOST).to_be();
            let lim = lim_page.cast::<u64>();
            *lim = 16;
            *lim.add(1) = 16;
        }
        let mut before: libc::rlimit = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: reads a limit into a local.
        unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &raw mut before) };
        pledge("stdio error");
        let fd = std::os::fd::AsRawFd::as_raw_fd(&tx) as u64;
        say(
            "sendto, destination with a zero low half",
            res(sys(
                libc::SYS_sendto,
                [fd, b"x".as_ptr() as u64, 1, 0, addr_page as u64, 16],
            )),
        );
        say(
            "prlimit64, new limit with a zero low half",
            res(sys(
                libc::SYS_prlimit64,
                [0, libc::RLIMIT_NOFILE as u64, lim_page as u64, 0, 0, 0],
            )),
        );
        std::thread::sleep(Duration::from_millis(50));
        let mut buf = [0u8; 8];
        say("datagrams received", rx.recv(&mut buf).map_or(0, |n| n));
        let mut after: libc::rlimit = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: reads a limit into a local.
        unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &raw mut after) };
        say(
            "limit unchanged",
            before.rlim_cur == after.rlim_cur && before.rlim_max == after.rlim_max,
        );
    }

    fn int_high_half_flags() {
        pledge("stdio rpath error");
        let p = c(&child_scratch("high-flags"));
        let wr = (libc::O_WRONLY | libc::O_CREAT) as u64;
        say(
            "openat O_WRONLY|O_CREAT, junk high half",
            res(sys(
                libc::SYS_openat,
                [
                    libc::AT_FDCWD as u64,
                    p.as_ptr() as u64,
                    0xffff_ffff_0000_0000 | wr,
                    0o644,
                    0,
                    0,
                ],
            )),
        );
        say(
            "openat O_RDONLY with O_WRONLY|O_CREAT in the high half",
            res(sys(
                libc::SYS_openat,
                [
                    libc::AT_FDCWD as u64,
                    c"/etc/hostname".as_ptr() as u64,
                    wr << 32,
                    0,
                    0,
                    0,
                ],
            ))
            .starts_with("ok"),
        );
    }

    // ---- what the best Linux port got wrong ---------------------------------------------------------

    fn cpath_alone() {
        let dir = child_scratch("cpath");
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("existing"), "intact").unwrap();
        pledge("stdio cpath error");
        let existing = c(&dir.join("existing"));
        for (what, flags) in [
            ("O_RDONLY", libc::O_RDONLY),
            ("O_WRONLY", libc::O_WRONLY),
            ("O_RDWR", libc::O_RDWR),
            ("O_WRONLY|O_TRUNC", libc::O_WRONLY | libc::O_TRUNC),
            ("O_RDWR|O_CREAT", libc::O_RDWR | libc::O_CREAT),
        ] {
            // SAFETY: opens a path with flags.
            let fd = unsafe { libc::open(existing.as_ptr(), flags, 0o644) };
            say(&format!("open existing {what}"), res(i64::from(fd)));
        }
        let new = c(&dir.join("new"));
        // SAFETY: as above.
        let fd = unsafe { libc::open(new.as_ptr(), libc::O_WRONLY | libc::O_CREAT, 0o644) };
        say("create new", res(i64::from(fd)));
        say("mkdir", res(i64::from(unsafe_mkdir(&dir.join("sub")))));
    }

    fn unsafe_mkdir(p: &std::path::Path) -> i32 {
        let p = c(p);
        // SAFETY: mkdir of a path.
        unsafe { libc::mkdir(p.as_ptr(), 0o755) }
    }

    fn tmppath_outside_tmp() {
        let outside = PathBuf::from("/var/tmp").join(format!(
            "sandbox-escape-tmppath-{}",
            std::os::unix::process::parent_id()
        ));
        std::fs::write(&outside, "keep").unwrap();
        let inside = child_scratch("tmppath-inside");
        std::fs::write(&inside, "remove").unwrap();
        pledge("stdio tmppath error");
        let o = c(&outside);
        // SAFETY: unlink of a path.
        say(
            "unlink outside /tmp",
            res(i64::from(unsafe { libc::unlink(o.as_ptr()) })),
        );
        let i = c(&inside);
        // SAFETY: unlink of a path.
        say(
            "unlink inside /tmp",
            res(i64::from(unsafe { libc::unlink(i.as_ptr()) })),
        );
    }

    fn long_path_report() {
        use std::os::unix::ffi::OsStrExt;
        pledge("stdio");
        // 250 bytes that the report shows as \x01 each: four characters a byte.
        let mut name = b"/tmp/".to_vec();
        name.extend([1u8; 250]);
        let f = std::fs::File::open(std::ffi::OsStr::from_bytes(&name));
        say("opened", f.is_ok());
    }

    /// A path argument in memory registered with userfaultfd before the phase: the reporter's
    /// read of the path blocks forever, so the violation neither reports nor aborts, and the
    /// other threads run on.
    fn reporter_blocked_by_userfaultfd() {
        let uffd = sys(
            libc::SYS_userfaultfd,
            // UFFD_USER_MODE_ONLY: needs no privilege; the reporter's read is a user-mode fault.
            [libc::O_CLOEXEC as u64 | 1, 0, 0, 0, 0, 0],
        );
        assert!(uffd >= 0, "userfaultfd: {}", errname(errno()));
        let mut api = [0xAAu64, 0, 0];
        let r = sys(
            libc::SYS_ioctl,
            [uffd as u64, 0xC018_AA3F, (&raw mut api) as u64, 0, 0, 0],
        );
        assert_eq!(r, 0, "UFFDIO_API: {}", errname(errno()));
        let page = page_rw();
        let mut reg = [page as u64, 4096, 1 /* MODE_MISSING */, 0];
        let r = sys(
            libc::SYS_ioctl,
            [uffd as u64, 0xC020_AA00, (&raw mut reg) as u64, 0, 0, 0],
        );
        assert_eq!(r, 0, "UFFDIO_REGISTER: {}", errname(errno()));
        pledge("stdio");
        let path = page as usize;
        std::thread::spawn(move || {
            // SAFETY: a path pointer into our registered page; the filter must stop the call.
            let fd = unsafe { libc::open(path as *const libc::c_char, libc::O_RDONLY) };
            say("opened", fd);
        });
        std::thread::sleep(Duration::from_millis(500));
        say("another thread still runs after the violation", "yes");
        // SAFETY: ends the process.
        unsafe { libc::_exit(0) };
    }

    // ---- the scenarios ------------------------------------------------------------------------------------

    /// For a control: the unsandboxed child did create `name` (`what` says how), so the case
    /// that checks its absence under a sandbox tests something real.
    fn check_effect_present(r: &Run, name: &str, what: &str) {
        let p = parent_scratch(name);
        let existed = p.exists();
        let _ = std::fs::remove_file(&p);
        assert!(
            existed,
            "{name}: {what} did not create its file\n{}",
            r.dump()
        );
    }

    fn check_effect_absent(r: &Run, name: &str) {
        let p = parent_scratch(name);
        let existed = p.exists();
        let _ = std::fs::remove_file(&p);
        assert!(!existed, "{} was created\n{}", p.display(), r.dump());
    }

    #[allow(clippy::too_many_lines)] // the list of scenarios
    pub(crate) fn main() {
        common::main(&[
            // i386
            Scenario {
                name: "int80_control",
                child: int80_control,
                check: |r| {
                    r.exited(0);
                    for which in ["open", "socketcall", "socket"] {
                        let line = r
                            .stdout
                            .lines()
                            .find(|l| l.starts_with(&format!("i386 {which} returned")))
                            .unwrap();
                        let v: i32 = line.rsplit(' ').next().unwrap().parse().unwrap();
                        assert!(v >= 0, "unsandboxed i386 {which} failed: {v}\n{}", r.dump());
                    }
                    check_effect_present(r, "int80-open", "open through int 0x80");
                },
            },
            Scenario {
                name: "int80_open_killed_although_open_is_promised",
                child: || int80_attempt(Some("stdio rpath wpath cpath"), "open"),
                check: |r| int80_killed(r, "open"),
            },
            Scenario {
                name: "int80_open_killed_under_error",
                child: || int80_attempt(Some("stdio rpath wpath cpath error"), "open"),
                check: |r| int80_killed(r, "open"),
            },
            Scenario {
                name: "int80_socketcall_killed_although_inet_is_promised",
                child: || int80_attempt(Some("stdio inet"), "socketcall"),
                check: |r| int80_killed(r, "socketcall"),
            },
            Scenario {
                name: "int80_socket_killed_although_inet_is_promised",
                child: || int80_attempt(Some("stdio inet"), "socket"),
                check: |r| int80_killed(r, "socket"),
            },
            // io_uring
            Scenario {
                name: "io_uring_control",
                child: io_uring_control,
                check: |r| {
                    r.exited(0)
                        .stdout_has("enter: ok 1")
                        .stdout_has("completion: Some(");
                    for name in ["uring-control", "uring-control-sqpoll"] {
                        check_effect_present(r, name, "the unsandboxed ring");
                    }
                },
            },
            Scenario {
                name: "io_uring_setup_after_the_phase",
                child: io_uring_setup_after_the_phase,
                check: |r| {
                    r.exited(0)
                        .stdout_has("io_uring_setup: EPERM")
                        .stdout_has("io_uring_setup SQPOLL: EPERM")
                        .stdout_has("new descriptor: false");
                },
            },
            Scenario {
                name: "io_uring_setup_reported",
                child: io_uring_setup_reported,
                check: |r| {
                    r.signalled(SIGABRT).stdout_lacks("returned");
                    let line = r.report();
                    assert!(
                        line.contains("io_uring_setup(")
                            && line.contains("is not allowed by any promise"),
                        "{line}"
                    );
                },
            },
            Scenario {
                name: "io_uring_ring_from_before_the_phase",
                child: || io_uring_ring_from_before(true),
                check: |r| {
                    // The first phase refuses to start while a ring exists: never a sandbox that
                    // a ring could act around.
                    r.exited(0)
                        .stdout_has("refused: an io_uring instance exists")
                        .stdout_lacks("pledged:");
                    check_effect_absent(r, "uring-old");
                },
            },
            Scenario {
                name: "io_uring_ring_from_before_the_phase_reported",
                child: || io_uring_ring_from_before(false),
                check: |r| {
                    r.exited(0)
                        .stdout_has("refused: an io_uring instance exists")
                        .stdout_lacks("pledged:");
                    check_effect_absent(r, "uring-old-report");
                },
            },
            Scenario {
                name: "io_uring_sqpoll_ring_from_before_the_phase",
                child: || io_uring_sqpoll_ring_from_before(false),
                check: |r| {
                    r.exited(0)
                        .stdout_has("refused: an io_uring instance exists (descriptor")
                        .stdout_lacks("pledged:");
                    check_effect_absent(r, "uring-sqpoll");
                },
            },
            Scenario {
                name: "io_uring_sqpoll_ring_with_closed_descriptor",
                child: || io_uring_sqpoll_ring_from_before(true),
                check: |r| {
                    // Found through its mapping: the descriptor is closed.
                    r.exited(0)
                        .stdout_has("refused: an io_uring instance exists (mapping")
                        .stdout_lacks("pledged:");
                    check_effect_absent(r, "uring-sqpoll-closed");
                },
            },
            Scenario {
                name: "io_uring_hidden_sqpoll_ring_control",
                child: || io_uring_hidden_sqpoll_ring(false),
                check: |r| {
                    // Without a sandbox the ring works: what the next case refuses is real.
                    r.exited(0)
                        .stdout_has("sqpoll thread awake before the phase: true")
                        .stdout_has("io_uring descriptors and mappings: 0")
                        .stdout_has("completion: Some(");
                    check_effect_present(r, "uring-hidden-control", "the hidden ring");
                },
            },
            Scenario {
                name: "io_uring_hidden_sqpoll_ring",
                child: || io_uring_hidden_sqpoll_ring(true),
                check: |r| {
                    // No descriptor, no mapping: found through its polling thread.
                    r.exited(0)
                        .stdout_has("io_uring descriptors and mappings: 0")
                        .stdout_has("refused: an io_uring instance exists (polling thread")
                        .stdout_lacks("pledged:");
                    check_effect_absent(r, "uring-hidden");
                },
            },
            Scenario {
                name: "io_uring_worker_of_a_closed_ring",
                child: io_uring_worker_of_a_closed_ring,
                check: |r| {
                    // The worker ran the request and existed until the ring was closed; the
                    // first phase waited for the teardown instead of refusing.
                    r.exited(0)
                        .stdout_has("enter: ok 1")
                        .stdout_has("completion: Some(")
                        .stdout_has("worker threads before closing: 1")
                        .stdout_has("pledged: stdio rpath")
                        .stdout_has("worker threads after the phase began: 0");
                    check_effect_present(r, "uring-closed-worker", "the worker");
                },
            },
            Scenario {
                name: "io_uring_hidden_ring_with_a_waiting_request_control",
                child: || io_uring_hidden_ring_with_a_waiting_request(false),
                check: |r| {
                    r.exited(0)
                        .stdout_has("submitted before the phase: ok 2")
                        .stdout_has("worker threads: 1")
                        .stdout_has("wrote to the pipe: 1")
                        .stdout_has("completions: 2");
                    check_effect_present(r, "uring-hidden-waiting-control", "the linked openat");
                },
            },
            Scenario {
                name: "io_uring_hidden_ring_with_a_waiting_request",
                child: || io_uring_hidden_ring_with_a_waiting_request(true),
                check: |r| {
                    // No descriptor, mapping or polling thread: found through its worker.
                    r.exited(0)
                        .stdout_has("refused: an io_uring instance exists (worker thread")
                        .stdout_lacks("pledged:")
                        .stdout_lacks("wrote to the pipe");
                    check_effect_absent(r, "uring-hidden-waiting");
                },
            },
            Scenario {
                name: "io_uring_work_queued_before_the_phase",
                child: io_uring_work_queued_before,
                check: |r| {
                    r.exited(0)
                        .stdout_has("submitted before the phase: ok 2")
                        .stdout_has("refused: an io_uring instance exists")
                        .stdout_lacks("pledged:");
                },
            },
            // clone3, openat2, namespaces
            Scenario {
                name: "clone3_and_openat2_answer_enosys",
                child: clone3_openat2_enosys,
                check: |r| {
                    r.exited(0)
                        .stdout_has("clone3 fork: ENOSYS")
                        .stdout_has("clone3 CLONE_NEWUSER: ENOSYS")
                        .stdout_has("waitpid: ECHILD")
                        .stdout_has("children that ran: 0")
                        .stdout_has("openat2 read: ENOSYS")
                        .stdout_has("new descriptor: false")
                        .stdout_has("openat2 create: ENOSYS")
                        .stdout_has("threads work: 42 3");
                    check_effect_absent(r, "openat2");
                },
            },
            Scenario {
                name: "namespaces_control",
                child: || namespaces(false),
                check: |r| {
                    r.exited(0)
                        .stdout_has("setns net: ok")
                        .stdout_has("setns user: ok")
                        .stdout_has("user namespace unchanged: false")
                        .stdout_has("net namespace unchanged: false");
                },
            },
            Scenario {
                name: "namespaces_denied_under_proc",
                child: || namespaces(true),
                check: |r| {
                    r.exited(0)
                        .stdout_has("clone CLONE_NEWUSER: EPERM")
                        .stdout_has("clone CLONE_NEWNET: EPERM")
                        .stdout_has("clone CLONE_NEWPID: EPERM")
                        .stdout_has("clone CLONE_NEWUSER, junk high half: EPERM")
                        .stdout_has("children that ran: 0")
                        .stdout_has("unshare CLONE_NEWUSER: EPERM")
                        .stdout_has("unshare CLONE_NEWNET: EPERM")
                        .stdout_has("unshare CLONE_NEWNS: EPERM")
                        .stdout_has("setns net: EPERM")
                        .stdout_has("setns user: EPERM")
                        .stdout_has("user namespace unchanged: true")
                        .stdout_has("net namespace unchanged: true")
                        .stdout_has("uid unchanged: true")
                        .stdout_has("plain fork: ok")
                        .stdout_has("children that ran after a plain fork: 1");
                },
            },
            Scenario {
                name: "clone_newuser_reported",
                child: clone_newuser_reported,
                check: |r| {
                    r.signalled(SIGABRT).stdout_lacks("returned");
                    assert!(r.report().contains("clone("), "{}", r.dump());
                },
            },
            // a sibling process
            Scenario {
                name: "sibling_control",
                child: sibling_control,
                check: |r| {
                    r.exited(0)
                        .stdout_has("secret before: 0x1111111111111111")
                        .stdout_has("process_vm_writev: ok 8")
                        .stdout_has("secret after: Some(\"0x2222222222222222\")")
                        .stdout_has("pidfd_getfd: ok");
                },
            },
            Scenario {
                name: "sibling_untouchable_under_proc",
                child: sibling_untouchable,
                check: |r| {
                    r.exited(0)
                        .stdout_has("ptrace(PTRACE_ATTACH): EPERM")
                        .stdout_has("ptrace(PTRACE_SEIZE): EPERM")
                        .stdout_has("process_vm_writev: EPERM")
                        .stdout_has("process_vm_readv: EPERM")
                        .stdout_has("pidfd_getfd: EPERM")
                        .stdout_has("new descriptor: false")
                        .stdout_has("kcmp: EPERM")
                        .stdout_has("sibling running: true")
                        .stdout_has("secret: Some(\"0x1111111111111111\")")
                        .stdout_has("sibling: exit 0");
                },
            },
            Scenario {
                name: "sibling_not_signalled_under_stdio",
                child: sibling_signals_under_stdio,
                check: |r| {
                    r.exited(0);
                    for what in [
                        "kill SIGTERM",
                        "kill SIGKILL",
                        "kill, own pid in the high half",
                        "tkill",
                        "tgkill",
                        "rt_sigqueueinfo",
                        "pidfd_send_signal",
                        "fcntl F_SETOWN",
                    ] {
                        r.stdout_has(&format!("{what}: EPERM"));
                    }
                    r.stdout_has("sibling running: true")
                        .stdout_has("secret: Some(\"0x1111111111111111\")")
                        .stdout_has("sibling: exit 0");
                },
            },
            Scenario {
                name: "sibling_kill_reported_and_sibling_survives",
                child: sibling_kill_reported,
                check: |r| {
                    r.signalled(SIGABRT).stdout_lacks("returned");
                    assert!(
                        r.report().contains("kill(")
                            && r.report().contains("needs promise \"proc\""),
                        "{}",
                        r.dump()
                    );
                    // The orphaned sibling sees its pipe close and leaves a mark: it was not killed.
                    let mark = parent_scratch("sibling-reported");
                    let start = Instant::now();
                    while !mark.exists() && start.elapsed() < Duration::from_secs(5) {
                        std::thread::sleep(Duration::from_millis(10));
                    }
                    assert!(mark.exists(), "the sibling did not survive");
                    let _ = std::fs::remove_file(mark);
                },
            },
            // PROT_EXEC
            Scenario {
                name: "prot_exec_control",
                child: prot_exec_control,
                check: |r| {
                    remove_shm(r);
                    r.exited(0)
                        .stdout_has("code ran: 42")
                        .stdout_has("/proc/self/mem: opened, pwrite ok 6")
                        .stdout_has("patchme: 2")
                        .stdout_has("shmat SHM_EXEC: rwxs")
                        .stdout_has("PROT_READ under READ_IMPLIES_EXEC: r-xp")
                        .stdout_has("memfd code ran");
                },
            },
            Scenario {
                name: "prot_exec_every_route_denied",
                child: || prot_exec_routes("stdio rpath wpath cpath error"),
                check: |r| {
                    remove_shm(r);
                    r.exited(0);
                    for what in [
                        "mmap PROT_EXEC",
                        "mmap PROT_EXEC, junk high half",
                        "mmap PROT_EXEC of /bin/true",
                        "mprotect PROT_EXEC",
                        "mprotect RWX",
                        "mprotect PROT_EXEC, junk high half",
                        "pkey_mprotect PROT_EXEC",
                        "personality READ_IMPLIES_EXEC",
                        "shmat SHM_EXEC",
                        "memfd_create MFD_EXEC",
                    ] {
                        r.stdout_has(&format!("{what}: EPERM"));
                    }
                    r.stdout_has("READ_IMPLIES_EXEC set: false")
                        .stdout_has("a new PROT_READ page: r--p")
                        .stdout_has("code page: rw-p")
                        .stdout_lacks("opened, pwrite")
                        .stdout_has("patchme: 1");
                },
            },
            Scenario {
                name: "prot_exec_mmap_reported",
                child: prot_exec_mmap_reported,
                check: |r| {
                    r.signalled(SIGABRT).stdout_lacks("returned");
                    let line = r.report();
                    assert!(
                        line.contains("mmap(") && line.contains("needs promise \"prot_exec\""),
                        "{line}"
                    );
                },
            },
            Scenario {
                name: "proc_self_mem_after_dropping_prot_exec",
                child: proc_mem_after_dropping_prot_exec,
                check: |r| {
                    r.exited(0)
                        .stdout_lacks("opened, pwrite")
                        .stdout_has("patchme: 1");
                },
            },
            Scenario {
                name: "read_implies_exec_set_before_the_phase",
                child: read_implies_exec_from_before,
                check: |r| {
                    // Refused beside the memory the flag made executable, and no new code ran.
                    r.exited(0)
                        .stdout_has("refused: mapping ")
                        .stdout_has("writable and executable")
                        .stdout_lacks("code ran");
                },
            },
            Scenario {
                name: "file_mapped_executable_before_the_phase_keeps_its_code",
                child: file_mapped_executable_before,
                check: |r| {
                    let _ = std::fs::remove_file(parent_scratch("mapped-code"));
                    r.exited(0)
                        .stdout_has("before the phase: 42")
                        .stdout_has("after the phase: 42");
                },
            },
            Scenario {
                name: "memfd_execveat_denied",
                child: memfd_execveat,
                check: |r| {
                    r.exited(0)
                        .stdout_has("execveat AT_EMPTY_PATH: EPERM")
                        .stdout_has("execveat AT_EMPTY_PATH, junk high half: EPERM")
                        .stdout_has("still: here")
                        .stdout_lacks("memfd code ran");
                },
            },
            Scenario {
                name: "memfd_exec_through_proc_fd",
                child: || memfd_exec_via_proc(false),
                check: |r| {
                    let _ = std::fs::remove_dir_all(parent_scratch("memfd-plain"));
                    // An executable memfd needs prot_exec: memfd_create without a no-exec seal is
                    // reported, and nothing runs.
                    r.signalled(SIGABRT).stdout_lacks("memfd code ran");
                    let line = r.report();
                    assert!(
                        line.contains("memfd_create(") && line.contains("prot_exec"),
                        "{line}"
                    );
                },
            },
            Scenario {
                name: "memfd_exec_through_proc_fd_with_unveil",
                child: || memfd_exec_via_proc(true),
                check: |r| {
                    let _ = std::fs::remove_dir_all(parent_scratch("memfd-unveiled"));
                    r.signalled(SIGABRT)
                        .stdout_has("execve of a new file: EACCES")
                        .stdout_lacks("disk code ran")
                        .stdout_lacks("memfd code ran");
                    assert!(r.report().contains("memfd_create("), "{}", r.dump());
                },
            },
            // terminals
            Scenario {
                name: "tty_control",
                child: tty_control,
                check: |r| {
                    r.exited(0)
                        .stdout_has("TIOCSTI: ok 0")
                        .stdout_has("bytes injected (slave): 1");
                },
            },
            Scenario {
                name: "tty_injection_denied",
                child: tty_injection,
                check: |r| {
                    r.exited(0)
                        .stdout_has("TCGETS: ok 0")
                        .stdout_has("TCGETS, junk high half: ok 0")
                        .stdout_has("bytes injected (slave): 0")
                        .stdout_has("bytes injected (master): 0");
                    for line in r.stdout.lines().filter(|l| l.starts_with("TIOC")) {
                        assert!(line.ends_with(": EPERM"), "{line}\n{}", r.dump());
                    }
                },
            },
            Scenario {
                name: "tiocsti_reported",
                child: tiocsti_reported,
                check: |r| {
                    r.signalled(SIGABRT).stdout_lacks("returned");
                    assert!(
                        r.report().contains("ioctl(") && r.report().contains("0x5412"),
                        "{}",
                        r.dump()
                    );
                },
            },
            // calls no promise allows
            Scenario {
                name: "never_allowed_control",
                child: never_control,
                check: |r| {
                    let found = find_key();
                    remove_key();
                    r.exited(0);
                    for name in NEVER {
                        if name != "request_key" {
                            r.stdout_has(&format!("{name}: ok"));
                        }
                    }
                    assert!(
                        found.is_some(),
                        "the control's key is not in the user keyring"
                    );
                },
            },
            Scenario {
                name: "never_allowed_under_every_promise_with_error",
                child: never_under_every_promise_with_error,
                check: |r| {
                    let found = find_key();
                    remove_key();
                    r.exited(0);
                    for name in NEVER {
                        r.stdout_has(&format!("{name}: EPERM"))
                            .stdout_has(&format!("{name} new descriptor: false"));
                    }
                    assert!(found.is_none(), "add_key added a key");
                },
            },
            Scenario {
                name: "never_keyctl_reported",
                child: || never_reported("keyctl"),
                check: |r| never_checked(r, "keyctl"),
            },
            Scenario {
                name: "never_add_key_reported",
                child: || never_reported("add_key"),
                check: |r| {
                    let found = find_key();
                    remove_key();
                    never_checked(r, "add_key");
                    assert!(found.is_none(), "add_key added a key");
                },
            },
            Scenario {
                name: "never_request_key_reported",
                child: || never_reported("request_key"),
                check: |r| never_checked(r, "request_key"),
            },
            Scenario {
                name: "never_bpf_reported",
                child: || never_reported("bpf"),
                check: |r| never_checked(r, "bpf"),
            },
            Scenario {
                name: "never_perf_event_open_reported",
                child: || never_reported("perf_event_open"),
                check: |r| never_checked(r, "perf_event_open"),
            },
            Scenario {
                name: "never_userfaultfd_reported",
                child: || never_reported("userfaultfd"),
                check: |r| never_checked(r, "userfaultfd"),
            },
            // dodging the penalty
            Scenario {
                name: "sigsys_handler_cannot_be_replaced",
                child: sigsys_handler_stays,
                check: |r| {
                    r.signalled(SIGABRT)
                        .stdout_has("signal(SIG_IGN): true")
                        .stdout_has("signal(handler): true")
                        .stdout_has("rt_sigaction, SIGSYS with junk in the high half: ok 0")
                        .stdout_has("rt_sigaction, act with a zero low half: ok 0")
                        .stdout_has("handler unchanged: true")
                        .stdout_lacks("opened");
                    assert!(
                        r.report().contains("needs promise \"rpath\""),
                        "{}",
                        r.dump()
                    );
                },
            },
            Scenario {
                name: "sigsys_ignored_still_reported",
                child: sigsys_ignored,
                check: |r| {
                    r.signalled(SIGABRT)
                        .stdout_has("ignored: SIGSYS")
                        .stdout_lacks("opened");
                    assert!(
                        r.report().contains("needs promise \"rpath\""),
                        "{}",
                        r.dump()
                    );
                },
            },
            Scenario {
                name: "sigsys_blocked_dies_by_sigsys",
                child: sigsys_blocked,
                check: |r| {
                    r.signalled(SIGSYS)
                        .stdout_has("blocked: ok 0")
                        .stdout_lacks("created");
                    check_effect_absent(r, "sigsys-blocked");
                },
            },
            Scenario {
                name: "sigabrt_race_once",
                child: sigabrt_race_once,
                // Run alone it is one attempt; `sigabrt_race_cannot_outrun_the_reporter` counts.
                check: |r| {
                    r.stdout_lacks("opened");
                },
            },
            Scenario {
                name: "sigabrt_race_cannot_outrun_the_reporter",
                child: sigabrt_race,
                check: |r| {
                    r.exited(0)
                        .stdout_has("attempts escaped: 0")
                        .stdout_has("other outcomes: []");
                },
            },
            // phases
            Scenario {
                name: "thread_from_before_the_phase_is_restricted",
                child: old_thread_restricted,
                check: |r| {
                    r.exited(0)
                        .stdout_has("old thread open O_CREAT: EPERM")
                        .stdout_has("old thread io_uring_setup: EPERM")
                        .stdout_has("old thread socket: EPERM")
                        .stdout_has("old thread ptrace(TRACEME): EPERM");
                    check_effect_absent(r, "old-thread");
                },
            },
            Scenario {
                name: "widening_is_refused_and_changes_nothing",
                child: widening_refused,
                check: |r| {
                    r.signalled(SIGABRT)
                        .stdout_lacks("widened")
                        .stdout_lacks("created");
                    assert_eq!(r.stdout.matches("refused: ").count(), 3, "{}", r.dump());
                    check_effect_absent(r, "widening");
                },
            },
            Scenario {
                name: "penalty_never_softens",
                child: penalty_never_softens,
                check: |r| {
                    r.signalled(SIGSYS)
                        .stdout_has("first: Kill installed true")
                        .stdout_has("second: Kill installed true")
                        .stdout_lacks("opened")
                        .stderr_lacks("sandbox:");
                },
            },
            Scenario {
                name: "filter_limit_is_a_clean_error_at_run_time",
                child: filter_limit_runtime,
                check: |r| {
                    r.signalled(SIGSYS)
                        .stdout_has("filters installed: ")
                        .stdout_has("Seccomp(ENOMEM): true")
                        .stdout_has("promises in force: Some(PromiseSet(\"stdio\"))")
                        .stdout_lacks("no limit")
                        .stdout_lacks("opened");
                },
            },
            Scenario {
                name: "filter_limit_aborts_an_attribute_phase",
                child: filter_limit_attribute,
                check: |r| {
                    r.exited(sandbox::EXIT_CANNOT_ENTER)
                        .stdout_has("pairs of phases entered: 16")
                        .stdout_lacks("no limit")
                        .stderr_has("cannot enter phase")
                        .stderr_has("limit on stacked filters");
                },
            },
            // 64-bit arguments
            Scenario {
                name: "pointer_checks_read_both_halves",
                child: high_half_pointers,
                check: |r| {
                    r.exited(0)
                        .stdout_has("sendto, destination with a zero low half: EPERM")
                        .stdout_has("prlimit64, new limit with a zero low half: EPERM")
                        .stdout_has("datagrams received: 0")
                        .stdout_has("limit unchanged: true");
                },
            },
            Scenario {
                name: "int_checks_ignore_the_high_half",
                child: int_high_half_flags,
                check: |r| {
                    r.exited(0)
                        .stdout_has("openat O_WRONLY|O_CREAT, junk high half: EPERM")
                        .stdout_has("openat O_RDONLY with O_WRONLY|O_CREAT in the high half: true");
                    check_effect_absent(r, "high-flags");
                },
            },
            // what the best Linux port got wrong
            Scenario {
                name: "cpath_alone_opens_nothing",
                child: cpath_alone,
                check: |r| {
                    r.exited(0);
                    for line in r
                        .stdout
                        .lines()
                        .filter(|l| l.starts_with("open ") || l.starts_with("create"))
                    {
                        assert!(line.ends_with(": EPERM"), "{line}");
                    }
                    r.stdout_has("mkdir: ok 0");
                    let dir = parent_scratch("cpath");
                    let content = std::fs::read_to_string(dir.join("existing")).unwrap();
                    let created = dir.join("new").exists();
                    let _ = std::fs::remove_dir_all(&dir);
                    assert_eq!(content, "intact");
                    assert!(!created);
                },
            },
            Scenario {
                name: "tmppath_unlinks_only_under_tmp",
                child: tmppath_outside_tmp,
                check: |r| {
                    let outside = PathBuf::from("/var/tmp")
                        .join(format!("sandbox-escape-tmppath-{}", std::process::id()));
                    let kept = outside.exists();
                    let _ = std::fs::remove_file(&outside);
                    r.exited(0).stdout_has("unlink inside /tmp: ok 0");
                    assert!(kept, "the file outside /tmp was removed\n{}", r.dump());
                    assert!(
                        !r.stdout.contains("unlink outside /tmp: ok"),
                        "{}",
                        r.dump()
                    );
                },
            },
            // the report itself
            Scenario {
                name: "reporter_cannot_be_blocked_by_userfaultfd",
                child: reporter_blocked_by_userfaultfd,
                check: |r| {
                    r.signalled(SIGABRT)
                        .stdout_lacks("opened")
                        .stdout_lacks("still runs");
                },
            },
            Scenario {
                name: "report_keeps_its_verdict_for_a_long_path",
                child: long_path_report,
                check: |r| {
                    r.signalled(SIGABRT).stdout_lacks("opened");
                    let line = r.report();
                    assert!(
                        line.contains("needs promise \"rpath\""),
                        "the verdict was cut off: {} bytes: ...{}",
                        line.len(),
                        &line[line.len().saturating_sub(80)..]
                    );
                },
            },
        ]);
    }

    fn never_checked(r: &Run, name: &str) {
        r.signalled(SIGABRT).stdout_lacks("returned");
        let line = r.report();
        assert!(
            line.contains(&format!("{name}(")) && line.contains("is not allowed by any promise"),
            "{line}"
        );
    }
}
