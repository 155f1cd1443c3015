/*
 * The C half of the compatibility matrix (tests/compat.rs): one basic operation per run, through
 * the C library, compiled with gcc (glibc, dynamically linked) and with musl-gcc (static).
 *
 *     ops FILTER OP DIR
 *
 * FILTER is a seccomp program compiled by sandbox-policy from the promise table for the promises
 * under test (the program `sandbox::pledge` installs for them), or "-" for none. The program
 * prepares OP (files in DIR, sockets), installs a SIGSYS handler, sets no_new_privs, installs the
 * filter, and runs OP. A C program cannot call the Rust reporter, so the handler stands in for
 * it: it prints the trapped call's number and arguments on one line and dies by SIGABRT, and the
 * test names the missing promise from the same table.
 *
 * Lines on stderr: "compat-ok: DETAIL" (exit 0), "compat-fail: DETAIL" (exit 1),
 * "compat-sigsys: nr=N data=D args=A0,...,A5" (then SIGABRT).
 *
 * FILTER file layout (native endianness): u32 count, u32 nslots, u32 slot[nslots], then count
 * instructions {u16 code; u8 jt; u8 jf; u32 k}. Each slot is an instruction whose k is set to
 * the process id before installing (the filter's "own process" checks).
 *
 * No kernel headers: musl-gcc does not see them, so the few constants are spelled out.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#define COMPAT_PR_SET_NO_NEW_PRIVS 38
#define COMPAT_PR_SET_SECCOMP 22
#define COMPAT_SECCOMP_MODE_FILTER 2

struct insn {
	uint16_t code;
	uint8_t jt;
	uint8_t jf;
	uint32_t k;
};

struct prog {
	unsigned short len;
	struct insn *filter;
};

extern char **environ;

/* ---- output ------------------------------------------------------------------------------ */

static void put(const char *s) { (void)!write(2, s, strlen(s)); }

static void put_hex(unsigned long v)
{
	char buf[2 + 16 + 1];
	int i = sizeof buf - 1;
	buf[i] = 0;
	do {
		buf[--i] = "0123456789abcdef"[v & 15];
		v >>= 4;
	} while (v);
	buf[--i] = 'x';
	buf[--i] = '0';
	put(buf + i);
}

static void ok(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void ok(const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n = snprintf(line, sizeof line, "compat-ok: ");
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof line - n - 1, fmt, ap);
	va_end(ap);
	strcat(line, "\n");
	put(line);
	exit(0);
}

static void fail(const char *what)
{
	int e = errno;
	put("compat-fail: ");
	put(what);
	put(": ");
	put(strerror(e));
	put("\n");
	exit(1);
}

/* A result the operation returned is right: "compat-ok: WHAT", or "compat-fail: wrong result". */
static void check(int cond, const char *what)
{
	if (cond)
		ok("%s", what);
	put("compat-fail: wrong result: ");
	put(what);
	put("\n");
	exit(1);
}

/* ---- the stand-in reporter ------------------------------------------------------------------ */

static void on_sigsys(int sig, siginfo_t *si, void *ctx)
{
	ucontext_t *uc = ctx;
	unsigned long a[6] = {0};
	(void)sig;
#if defined(__x86_64__)
	a[0] = uc->uc_mcontext.gregs[REG_RDI];
	a[1] = uc->uc_mcontext.gregs[REG_RSI];
	a[2] = uc->uc_mcontext.gregs[REG_RDX];
	a[3] = uc->uc_mcontext.gregs[REG_R10];
	a[4] = uc->uc_mcontext.gregs[REG_R8];
	a[5] = uc->uc_mcontext.gregs[REG_R9];
#elif defined(__aarch64__)
	for (int i = 0; i < 6; i++)
		a[i] = uc->uc_mcontext.regs[i];
#elif defined(__riscv)
	for (int i = 0; i < 6; i++)
		a[i] = uc->uc_mcontext.__gregs[10 + i]; /* a0..a5 */
#else
	(void)uc;
#endif
	put("compat-sigsys: nr=");
	put_hex((unsigned long)si->si_syscall);
	put(" data=");
	put_hex((unsigned long)si->si_errno);
	put(" args=");
	for (int i = 0; i < 6; i++) {
		put_hex(a[i]);
		put(i < 5 ? "," : "\n");
	}
	/* Die like the Rust reporter, by SIGABRT (still at its default action): unblock it (the
	 * handler runs with every signal blocked) and send it to this process. Raw calls, as libc
	 * wrappers differ (musl's sigaction(SIGABRT) blocks every signal first); both calls are
	 * allowed under every policy. In a vfork child (posix_spawn) the kill is refused, as the
	 * filter's "own process" is the parent, and the child dies by SIGSYS. */
	uint64_t abrt = 1ull << (SIGABRT - 1);
	syscall(SYS_rt_sigprocmask, SIG_UNBLOCK, &abrt, NULL, sizeof abrt);
	syscall(SYS_kill, syscall(SYS_getpid), SIGABRT);
	_exit(134);
}

static void install(const char *path)
{
	if (strcmp(path, "-") == 0)
		return;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		fail("open filter");
	uint32_t head[2];
	if (read(fd, head, sizeof head) != sizeof head)
		fail("read filter");
	uint32_t *slots = calloc(head[1] + 1, sizeof *slots);
	struct insn *insns = calloc(head[0], sizeof *insns);
	if (read(fd, slots, head[1] * sizeof *slots) != (ssize_t)(head[1] * sizeof *slots))
		fail("read slots");
	if (read(fd, insns, head[0] * sizeof *insns) != (ssize_t)(head[0] * sizeof *insns))
		fail("read insns");
	close(fd);
	for (uint32_t i = 0; i < head[1]; i++)
		insns[slots[i]].k = (uint32_t)getpid();

	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = on_sigsys;
	sa.sa_flags = SA_SIGINFO;
	sigfillset(&sa.sa_mask);
	if (sigaction(SIGSYS, &sa, NULL) != 0)
		fail("sigaction");
	struct prog prog = {.len = (unsigned short)head[0], .filter = insns};
	if (prctl(COMPAT_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		fail("no_new_privs");
	if (prctl(COMPAT_PR_SET_SECCOMP, COMPAT_SECCOMP_MODE_FILTER, &prog, 0, 0) != 0)
		fail("seccomp");
}

/* ---- operations ---------------------------------------------------------------------------- */

static char p_in[PATH_MAX], p_new[PATH_MAX], p_old[PATH_MAX], p_renamed[PATH_MAX],
	p_gone[PATH_MAX], p_emptydir[PATH_MAX], p_made[PATH_MAX], p_dir[PATH_MAX],
	p_dotdot[PATH_MAX], p_alias[PATH_MAX], p_link[PATH_MAX], p_sock[PATH_MAX],
	p_listen_sock[PATH_MAX], p_copy[PATH_MAX], p_tmp[PATH_MAX], p_fifo[PATH_MAX];

static int pre_fd = -1;          /* a file or listening socket opened before the filter */
static struct sockaddr_in pre_addr; /* where pre_fd listens (TCP) */

static void *thread_body(void *arg) { return (char *)arg + 1; }

static void op_read(void)
{
	char buf[64];
	int fd = open(p_in, O_RDONLY);
	if (fd < 0)
		fail("open");
	ssize_t n = read(fd, buf, sizeof buf);
	if (n < 0)
		fail("read");
	close(fd);
	ok("read %zd bytes", n);
}

static void op_write(void)
{
	int fd = open(p_in, O_WRONLY);
	if (fd < 0)
		fail("open");
	if (write(fd, "W", 1) != 1)
		fail("write");
	close(fd);
	ok("wrote");
}

static void op_create(void)
{
	FILE *f = fopen(p_new, "w");
	if (!f)
		fail("fopen");
	fputs("new\n", f);
	if (fclose(f) != 0)
		fail("fclose");
	ok("created");
}

static void op_copy(void)
{
	char buf[256];
	int in = open(p_in, O_RDONLY);
	if (in < 0)
		fail("open source");
	int out = open(p_copy, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (out < 0)
		fail("open destination");
	ssize_t n;
	while ((n = read(in, buf, sizeof buf)) > 0)
		if (write(out, buf, n) != n)
			fail("write");
	close(in);
	close(out);
	ok("copied");
}

static void op_rename(void)
{
	if (rename(p_old, p_renamed) != 0)
		fail("rename");
	ok("renamed");
}

static void op_unlink(void)
{
	if (unlink(p_gone) != 0)
		fail("unlink");
	ok("removed");
}

static void op_mkdir(void)
{
	if (mkdir(p_made, 0755) != 0)
		fail("mkdir");
	ok("made");
}

static void op_rmdir(void)
{
	if (rmdir(p_emptydir) != 0)
		fail("rmdir");
	ok("removed");
}

static void op_readdir(void)
{
	DIR *d = opendir(p_dir);
	if (!d)
		fail("opendir");
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	ok("%d entries", n);
}

static void op_realpath(void)
{
	char out[PATH_MAX];
	if (!realpath(p_dotdot, out))
		fail("realpath");
	check(strcmp(out, p_in) == 0, "resolved to in.txt");
}

static void op_stat(void)
{
	struct stat st;
	if (stat(p_in, &st) != 0)
		fail("stat");
	ok("size %lld", (long long)st.st_size);
}

static void op_fstat(void)
{
	struct stat st;
	if (fstat(pre_fd, &st) != 0)
		fail("fstat");
	ok("size %lld", (long long)st.st_size);
}

static void op_chmod(void)
{
	if (chmod(p_in, 0600) != 0)
		fail("chmod");
	ok("changed");
}

static void op_symlink(void)
{
	if (symlink("in.txt", p_link) != 0)
		fail("symlink");
	ok("linked");
}

static void op_readlink(void)
{
	char out[PATH_MAX];
	ssize_t n = readlink(p_alias, out, sizeof out - 1);
	if (n < 0)
		fail("readlink");
	out[n] = 0;
	ok("%s", out);
}

static void op_getcwd(void)
{
	char out[PATH_MAX];
	if (!getcwd(out, sizeof out))
		fail("getcwd");
	ok("got it");
}

static void op_pthread(void)
{
	pthread_t t;
	void *r;
	char c;
	if ((errno = pthread_create(&t, NULL, thread_body, &c)) != 0)
		fail("pthread_create");
	if ((errno = pthread_join(t, &r)) != 0)
		fail("pthread_join");
	check(r == &c + 1, "joined");
}

static void op_fork(void)
{
	pid_t pid = fork();
	if (pid < 0)
		fail("fork");
	if (pid == 0)
		_exit(7);
	int st;
	if (waitpid(pid, &st, 0) != pid)
		fail("waitpid");
	ok("child exit %d", WEXITSTATUS(st));
}

static void op_spawn(void)
{
	pid_t pid;
	char *argv[] = {"true", NULL};
	if ((errno = posix_spawn(&pid, "/bin/true", NULL, NULL, argv, environ)) != 0)
		fail("posix_spawn");
	int st;
	if (waitpid(pid, &st, 0) != pid)
		fail("waitpid");
	if (WIFSIGNALED(st)) {
		char line[80];
		snprintf(line, sizeof line, "compat-fail: spawned program killed by signal %d\n",
			 WTERMSIG(st));
		put(line);
		exit(1);
	}
	ok("exit %d", WEXITSTATUS(st));
}

static int tcp_listener(struct sockaddr_in *addr)
{
	int s = socket(AF_INET, SOCK_STREAM, 0);
	if (s < 0)
		fail("socket");
	memset(addr, 0, sizeof *addr);
	addr->sin_family = AF_INET;
	addr->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(s, (struct sockaddr *)addr, sizeof *addr) != 0)
		fail("bind");
	if (listen(s, 4) != 0)
		fail("listen");
	socklen_t len = sizeof *addr;
	if (getsockname(s, (struct sockaddr *)addr, &len) != 0)
		fail("getsockname");
	return s;
}

static void stream_exchange(int listener, int domain, const struct sockaddr *to, socklen_t len)
{
	int c = socket(domain, SOCK_STREAM, 0);
	if (c < 0)
		fail("socket");
	if (connect(c, to, len) != 0)
		fail("connect");
	int a = accept(listener, NULL, NULL);
	if (a < 0)
		fail("accept");
	char buf[8];
	if (write(c, "ping", 4) != 4 || read(a, buf, sizeof buf) != 4)
		fail("exchange");
	ok("exchanged");
}

static void op_tcp_listen(void)
{
	struct sockaddr_in addr;
	int s = tcp_listener(&addr);
	stream_exchange(s, AF_INET, (struct sockaddr *)&addr, sizeof addr);
}

static void op_tcp_connect(void)
{
	stream_exchange(pre_fd, AF_INET, (struct sockaddr *)&pre_addr, sizeof pre_addr);
}

static void op_udp(void)
{
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	if (s < 0)
		fail("socket");
	struct sockaddr_in addr;
	memset(&addr, 0, sizeof addr);
	addr.sin_family = AF_INET;
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(s, (struct sockaddr *)&addr, sizeof addr) != 0)
		fail("bind");
	socklen_t len = sizeof addr;
	if (getsockname(s, (struct sockaddr *)&addr, &len) != 0)
		fail("getsockname");
	if (sendto(s, "ping", 4, 0, (struct sockaddr *)&addr, sizeof addr) != 4)
		fail("sendto");
	char buf[8];
	if (recvfrom(s, buf, sizeof buf, 0, NULL, NULL) != 4)
		fail("recvfrom");
	ok("exchanged");
}

static int unix_listener(const char *path, struct sockaddr_un *addr)
{
	int s = socket(AF_UNIX, SOCK_STREAM, 0);
	if (s < 0)
		fail("socket");
	memset(addr, 0, sizeof *addr);
	addr->sun_family = AF_UNIX;
	strncpy(addr->sun_path, path, sizeof addr->sun_path - 1);
	if (bind(s, (struct sockaddr *)addr, sizeof *addr) != 0)
		fail("bind");
	if (listen(s, 4) != 0)
		fail("listen");
	return s;
}

static void op_unix_listen(void)
{
	struct sockaddr_un addr;
	int s = unix_listener(p_sock, &addr);
	stream_exchange(s, AF_UNIX, (struct sockaddr *)&addr, sizeof addr);
}

static void op_unix_connect(void)
{
	struct sockaddr_un addr;
	memset(&addr, 0, sizeof addr);
	addr.sun_family = AF_UNIX;
	strncpy(addr.sun_path, p_listen_sock, sizeof addr.sun_path - 1);
	stream_exchange(pre_fd, AF_UNIX, (struct sockaddr *)&addr, sizeof addr);
}

static void op_socketpair(void)
{
	int sv[2];
	char buf[8];
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
		fail("socketpair");
	if (write(sv[0], "ping", 4) != 4 || read(sv[1], buf, sizeof buf) != 4)
		fail("exchange");
	ok("exchanged");
}

static void op_getaddrinfo(void)
{
	struct addrinfo hints, *res;
	memset(&hints, 0, sizeof hints);
	hints.ai_socktype = SOCK_STREAM;
	int r = getaddrinfo("localhost", "80", &hints, &res);
	if (r != 0) {
		put("compat-fail: getaddrinfo: ");
		put(gai_strerror(r));
		put("\n");
		exit(1);
	}
	int n = 0;
	for (struct addrinfo *a = res; a; a = a->ai_next)
		n++;
	freeaddrinfo(res);
	check(n > 0, "resolved");
}

static long elapsed_ms(const struct timespec *a, const struct timespec *b)
{
	return (b->tv_sec - a->tv_sec) * 1000 + (b->tv_nsec - a->tv_nsec) / 1000000;
}

static void op_sleep(void)
{
	struct timespec t0, t1, d = {0, 500 * 1000 * 1000};
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (write(1, "sleeping\n", 9) != 9)
		fail("write");
	if (nanosleep(&d, NULL) != 0)
		fail("nanosleep");
	clock_gettime(CLOCK_MONOTONIC, &t1);
	check(elapsed_ms(&t0, &t1) >= 500, "slept at least 500 ms");
}

static void op_cputime(void)
{
	struct timespec p, t;
	if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &p) != 0)
		fail("CLOCK_PROCESS_CPUTIME_ID");
	if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t) != 0)
		fail("CLOCK_THREAD_CPUTIME_ID");
	ok("read both");
}

static void op_nprocs(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	if (n < 1)
		fail("sysconf");
	check(n >= 1, "at least one");
}

static void op_printf(void)
{
	printf("hello from printf\n");
	if (fflush(stdout) != 0)
		fail("fflush");
	ok("printed");
}

static void op_tmpfile(void)
{
	int fd = open(p_tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		fail("open");
	close(fd);
	ok("created");
}

static void op_flock(void)
{
	if (flock(pre_fd, LOCK_EX) != 0)
		fail("flock");
	ok("locked");
}

static void op_mkfifo(void)
{
	if (mkfifo(p_fifo, 0600) != 0)
		fail("mkfifo");
	ok("made");
}

static void op_chown(void)
{
	if (chown(p_in, (uid_t)-1, getgid()) != 0)
		fail("chown");
	ok("changed");
}

static void op_mcast(void)
{
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	if (s < 0)
		fail("socket");
	unsigned char ttl = 2;
	if (setsockopt(s, IPPROTO_IP, IP_MULTICAST_TTL, &ttl, sizeof ttl) != 0)
		fail("setsockopt");
	ok("set");
}

static void op_setresuid(void)
{
	if (setresuid((uid_t)-1, (uid_t)-1, (uid_t)-1) != 0)
		fail("setresuid");
	ok("unchanged");
}

static void op_getpwuid(void)
{
	errno = 0;
	struct passwd *pw = getpwuid(0);
	if (!pw)
		fail("getpwuid");
	check(pw->pw_uid == 0, "found uid 0");
}

static void op_sendfd(void)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
		fail("socketpair");
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	char byte = 'x';
	struct iovec iov = {.iov_base = &byte, .iov_len = 1};
	struct msghdr m;
	memset(&m, 0, sizeof m);
	memset(&u, 0, sizeof u);
	m.msg_iov = &iov;
	m.msg_iovlen = 1;
	m.msg_control = u.buf;
	m.msg_controllen = sizeof u.buf;
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &pre_fd, sizeof(int));
	if (sendmsg(sv[0], &m, 0) != 1)
		fail("sendmsg");
	memset(&u, 0, sizeof u);
	m.msg_controllen = sizeof u.buf;
	if (recvmsg(sv[1], &m, 0) != 1)
		fail("recvmsg");
	c = CMSG_FIRSTHDR(&m);
	if (!c || c->cmsg_type != SCM_RIGHTS) {
		errno = EPROTO;
		fail("no descriptor");
	}
	int fd;
	memcpy(&fd, CMSG_DATA(c), sizeof fd);
	char buf[64];
	ssize_t n = pread(fd, buf, sizeof buf, 0);
	ok("read %zd bytes through the passed descriptor", n);
}

static void op_noop(void) { ok("started"); }

/* ---- setup and dispatch -------------------------------------------------------------------- */

static void setup(const char *op)
{
	if (strcmp(op, "fstat") == 0 || strcmp(op, "flock") == 0 || strcmp(op, "sendfd") == 0) {
		pre_fd = open(p_in, O_RDONLY);
		if (pre_fd < 0)
			fail("open");
	} else if (strcmp(op, "tcp_connect") == 0) {
		pre_fd = tcp_listener(&pre_addr);
	} else if (strcmp(op, "unix_connect") == 0) {
		struct sockaddr_un addr;
		pre_fd = unix_listener(p_listen_sock, &addr);
	}
}

static const struct {
	const char *name;
	void (*run)(void);
} OPS[] = {
	{"read", op_read},
	{"write", op_write},
	{"create", op_create},
	{"copy", op_copy},
	{"rename", op_rename},
	{"unlink", op_unlink},
	{"mkdir", op_mkdir},
	{"rmdir", op_rmdir},
	{"readdir", op_readdir},
	{"realpath", op_realpath},
	{"stat", op_stat},
	{"fstat", op_fstat},
	{"chmod", op_chmod},
	{"symlink", op_symlink},
	{"readlink", op_readlink},
	{"getcwd", op_getcwd},
	{"pthread", op_pthread},
	{"fork", op_fork},
	{"posix_spawn", op_spawn},
	{"tcp_listen", op_tcp_listen},
	{"tcp_connect", op_tcp_connect},
	{"udp", op_udp},
	{"unix_listen", op_unix_listen},
	{"unix_connect", op_unix_connect},
	{"socketpair", op_socketpair},
	{"getaddrinfo", op_getaddrinfo},
	{"sleep", op_sleep},
	{"cputime", op_cputime},
	{"nprocs", op_nprocs},
	{"printf", op_printf},
	{"tmpfile", op_tmpfile},
	{"flock", op_flock},
	{"mkfifo", op_mkfifo},
	{"chown", op_chown},
	{"mcast", op_mcast},
	{"setresuid", op_setresuid},
	{"getpwuid", op_getpwuid},
	{"sendfd", op_sendfd},
	{"noop", op_noop},
};

static void path(char *out, const char *dir, const char *name)
{
	if ((size_t)snprintf(out, PATH_MAX, "%s/%s", dir, name) >= PATH_MAX) {
		errno = ENAMETOOLONG;
		fail(name);
	}
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		put("usage: ops FILTER OP DIR\n");
		return 2;
	}
	const char *dir = argv[3];
	path(p_in, dir, "in.txt");
	path(p_new, dir, "new.txt");
	path(p_old, dir, "old.txt");
	path(p_renamed, dir, "renamed.txt");
	path(p_gone, dir, "gone.txt");
	path(p_emptydir, dir, "emptydir");
	path(p_made, dir, "made");
	path(p_dir, dir, "dir");
	path(p_dotdot, dir, "dir/../in.txt");
	path(p_alias, dir, "alias");
	path(p_link, dir, "link");
	path(p_sock, dir, "s.sock");
	path(p_listen_sock, dir, "l.sock");
	path(p_copy, dir, "copy.txt");
	path(p_tmp, dir, "tmp.txt");
	path(p_fifo, dir, "fifo");
	for (size_t i = 0; i < sizeof OPS / sizeof OPS[0]; i++) {
		if (strcmp(OPS[i].name, argv[2]) == 0) {
			setup(argv[2]);
			install(argv[1]);
			OPS[i].run();
			return 0;
		}
	}
	put("compat-fail: unknown operation\n");
	return 2;
}
