/*
 * mmcheck conformance probe: runs a sequence of memory operations on the live kernel and prints,
 * after each one, the hugetlb counters, the result and what the acting process sees of the
 * watched pages. Built by conform/kernel.ts with the system cc at run time; run as root.
 *
 *   probe MOUNT_DIR < ops
 *   probe --restore [NR_HUGEPAGES NR_OVERCOMMIT MOUNT_DIR]
 *   probe --profile                  what the kernel does where kernels differ (see profile_mode)
 *
 * Every form takes the lock LOCK_PATH (one run at a time: the pool is global) and first sweeps
 * what a killed run left (see sweep()). The second form is the runner's safety net after a
 * probe that died; with arguments it also unmounts MOUNT_DIR and sets the pool sizes, waiting
 * (up to 10 s) for the processes of a dead run to let go of their huge pages.
 *
 * Nothing left behind, whatever stops a run:
 * - before it changes anything, a run writes what it found (pool sizes, mount, folder) to
 *   STATE_PATH, beside the lock, and removes it once everything is back; the next run, which
 *   holds the lock so the writer is gone, puts that back first (sweep());
 * - SIGINT, SIGTERM and SIGHUP are blocked in the coordinator and read from a signalfd between
 *   steps, so a pool write, the mount and a fork are never cut in two: the run then puts
 *   everything back and dies of the signal;
 * - the coordinator is the subreaper of every process of the run and waits for all of them
 *   before it unmounts (retrying EBUSY); the first worker dies with it (PR_SET_PDEATHSIG), and
 *   every worker leaves when its command pipe, held only by the coordinator, closes.
 *
 * Input, one item a line (offsets and lengths in 4 KiB pages from the start of a reserved,
 * 2 MiB-aligned address range; file sizes and offsets in 2 MiB huge pages):
 *   space N                          directive: reserve N huge pages of address space
 *   watch OFF                        directive: report the page at OFF after every step (≤ 64)
 *   P pool N | P overcommit N        nr_hugepages / nr_overcommit_hugepages (restored at the end)
 *   P mount [SIZE MIN]               mount hugetlbfs (pagesize=2M) on MOUNT_DIR, with size= and
 *                                    min_size= of SIZE and MIN huge pages (- for none)
 *   P create NAME ISIZE | P truncate NAME SIZE | P unlink NAME | P punch NAME OFFSET LEN
 *   P create4k NAME ISIZE DATA | P truncate4k NAME SIZE | P write4k NAME PAGE
 *                                    a file of 4 KiB pages beside MOUNT_DIR (MOUNT_DIR.f4k-NAME,
 *                                    on the filesystem of its folder), ISIZE and SIZE in 4 KiB pages; DATA 1
 *                                    writes its pages (then drops them from the page cache), 0
 *                                    leaves it sparse; write4k writes one whole page at PAGE with
 *                                    write(2) (the page cache; no sync)
 *   P mmap OFF LEN NAME|- PGOFF FLAGS    FLAGS: p|s (private/shared), then any of w (PROT_WRITE),
 *                                        n (MAP_NORESERVE), h (MAP_HUGETLB, for NAME -),
 *                                        P (MAP_POPULATE), f (NAME is a create4k file),
 *                                        t (the whole 2 MiB slot, private anonymous, then
 *                                        madvise(MADV_HUGEPAGE): a THP may map it)
 *   P access OFF r|w | P munmap OFF LEN | P mprotect OFF LEN r|w | P mlock OFF LEN
 *   P munlock OFF LEN | P madvise OFF LEN     (MADV_DONTNEED) | P willneed OFF LEN (MADV_WILLNEED)
 *   P procmem OFF r|w                one byte through /proc/self/mem (get_user_pages, FOLL_FORCE)
 *   P dio OFF r|w                    the page as the buffer of an O_DIRECT pwrite (r: the kernel reads
 *                                    it) or pread (w: it writes it) of a scratch file beside
 *                                    MOUNT_DIR: pin_user_pages_fast, FOLL_WRITE for w
 *   P vmsplice OFF                   vmsplice 4 KiB at OFF into the run's pipe (get_user_pages,
 *                                    FOLL_GET): the pipe holds the page's reference after the call
 *   P piperead                       read one buffer out of that pipe (pipe_buf_release puts it;
 *                                    EAGAIN when it is empty)
 *   P uring_register OFF             the huge page at OFF registered as an io_uring fixed buffer
 *                                    (IORING_REGISTER_BUFFERS: pin_user_pages FOLL_WRITE|FOLL_LONGTERM,
 *                                    held until P uring_unregister, across forks); the process's ring
 *                                    is made at its first register
 *   P uring_unregister OFF           IORING_UNREGISTER_BUFFERS: the pin goes
 *   P fork Q | P exit
 * P is the process (0 is the first; fork Q makes process Q, which runs the lines that name it).
 *
 * Output: first {"orig": {"pool": N, "overcommit": N}} (the sizes to restore, read under the
 * lock), then one JSON line per step; or an {"error": ...} line, then exit 3 (bad input or a
 * broken step), 4 (the pool could not be sized), 5 (hugetlbfs would not mount) or 6 (the pool
 * sizes or the mount could not be put back: the last error line says which, and the state file
 * stays for the next run). Before all that, a {"swept": "..."} line if the run put back what a
 * killed one left.
 *
 * The run's pipe (vmsplice, piperead) is made by the coordinator before the first worker and
 * inherited by every process of the run; the coordinator keeps it open, so that a process's
 * exit does not let go of what it spliced, and closes it before it puts the pool back.
 *
 * The original process is a coordinator that runs no memory operation itself: it hands each
 * step to the process that runs it, over that process's pipe, and waits for its result, so
 * the steps of all processes run in exactly the input order. It reads the counters after each
 * step (after an exit, once the process is gone), and puts the pool sizes and the mount back as
 * it found them however the run ends.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <ftw.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/io_uring.h>

#define SMALL 4096UL
#define HUGE (2UL << 20)
#define MAX_STEPS 512
#define MAX_PROCS 8
#define MAX_WATCH 64
#define MAX_VMAS 32
#define MAX_SPACE 64
#define LOCK_PATH "/tmp/mmcheck-conform.lock"
#define STATE_PATH "/tmp/mmcheck-conform.state"
/* A build folder is TMPDIR/mmcheck-conform-PID-START-XXXXXX: its owner's pid and start time
 * (conform/kernel.ts). */
#define FOLDER_PREFIX "mmcheck-conform-"
#define NR_HUGEPAGES "/proc/sys/vm/nr_hugepages"
#define NR_OVERCOMMIT "/proc/sys/vm/nr_overcommit_hugepages"

enum { EXIT_BAD = 3, EXIT_POOL = 4, EXIT_MOUNT = 5, EXIT_RESTORE = 6 };

enum op {
	OP_POOL, OP_OVERCOMMIT, OP_MOUNT, OP_CREATE, OP_TRUNCATE, OP_UNLINK, OP_MMAP, OP_ACCESS,
	OP_MUNMAP, OP_MPROTECT, OP_MLOCK, OP_FORK, OP_EXIT, OP_PUNCH, OP_MUNLOCK, OP_MADVISE, OP_PROCMEM,
	OP_CREATE4K, OP_TRUNCATE4K, OP_WRITE4K, OP_DIO, OP_VMSPLICE, OP_PIPEREAD, OP_URING_REGISTER,
	OP_URING_UNREGISTER, OP_WILLNEED,
};
static const char *const op_names[] = {
	"pool", "overcommit", "mount", "create", "truncate", "unlink", "mmap", "access",
	"munmap", "mprotect", "mlock", "fork", "exit", "punch", "munlock", "madvise", "procmem",
	"create4k", "truncate4k", "write4k", "dio", "vmsplice", "piperead", "uring_register",
	"uring_unregister", "willneed",
};

struct step {
	int proc;
	enum op op;
	long a, b, c; /* op arguments, see parse_step */
	char name[64];
	char flags[8];
};

struct page_obs {
	int present, zero, mapcount;
};

/* A VMA of the acting process inside the reserved range: 4 KiB pages from its start. */
struct vma_obs {
	long start, end;
	int write;
};

/* What a worker sends back after a step (well under PIPE_BUF, so one write). */
struct result {
	long ret;
	int err;
	int sig;
	int child_pid;
	int npages;
	struct page_obs pages[MAX_WATCH];
	int nvmas;
	struct vma_obs vmas[MAX_VMAS];
};

static struct step steps[MAX_STEPS];
static int nsteps;
static long watch[MAX_WATCH];
static int nwatch;
static long space = 1;
static const char *mount_dir;
static char *base;

/* Coordinator state, read by cleanup. */
static long orig_pool = -1, orig_overcommit = -1;
static int state_written;
static int cmd_w[MAX_PROCS] = { -1, -1, -1, -1, -1, -1, -1, -1 };
static int pidfd[MAX_PROCS] = { -1, -1, -1, -1, -1, -1, -1, -1 };
static pid_t coordinator;
static pid_t workers_pgid; /* every worker's process group: the first worker's pid */
static int stop_fd = -1;   /* a signalfd for the blocked stop signals */
static int splice_pipe[2] = { -1, -1 }; /* the run's pipe, nonblocking (vmsplice, piperead) */

/* ---- small helpers ---------------------------------------------------------------------- */

static int write_long(const char *path, long v)
{
	char buf[32];
	int n = sizeof buf;
	buf[--n] = '\n';
	do
		buf[--n] = '0' + v % 10;
	while ((v /= 10) > 0);
	int fd = open(path, O_WRONLY);
	if (fd < 0)
		return -1;
	int ok = write(fd, buf + n, sizeof buf - n) == (ssize_t)(sizeof buf - n);
	close(fd);
	return ok ? 0 : -1;
}

static long read_long(const char *path)
{
	char buf[32] = { 0 };
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	return n > 0 ? strtol(buf, NULL, 10) : -1;
}

static int poll_one(int fd, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	return poll(&p, 1, timeout_ms);
}

static long elapsed_ms(const struct timespec *since)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - since->tv_sec) * 1000 + (now.tv_nsec - since->tv_nsec) / 1000000;
}

static void json_string(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			putchar('\\');
		putchar(*s >= ' ' ? *s : '?');
	}
	putchar('"');
}

static void print_line(const char *key, const char *msg)
{
	printf("{\"%s\":", key);
	json_string(msg);
	fputs("}\n", stdout);
	fflush(stdout);
}

/* The last mount point at or below DIR in /proc/self/mounts (the one on top) into OUT; 0 if none. */
static int mount_below(const char *dir, char *out, size_t size)
{
	char line[8192];
	size_t len = strlen(dir);
	int found = 0;
	FILE *f = fopen("/proc/self/mounts", "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof line, f)) {
		char *mp = strchr(line, ' '), path[4096];
		size_t j = 0;
		if (!mp)
			continue;
		/* The mount point, with the kernel's octal escapes (\040 for a space) undone. */
		for (char *c = mp + 1; *c && *c != ' ' && j < sizeof path - 1; c++) {
			if (c[0] == '\\' && c[1] >= '0' && c[1] <= '3' && c[2] >= '0' && c[2] <= '7' && c[3] >= '0' && c[3] <= '7') {
				path[j++] = (char)((c[1] - '0') * 64 + (c[2] - '0') * 8 + (c[3] - '0'));
				c += 3;
			} else {
				path[j++] = *c;
			}
		}
		path[j] = 0;
		if (!strncmp(path, dir, len) && (path[len] == 0 || path[len] == '/')) {
			snprintf(out, size, "%s", path);
			found = 1;
		}
	}
	fclose(f);
	return found;
}

/*
 * Nothing is mounted at or below DIR: 0, or -1 when something stays mounted. EBUSY is retried
 * for up to 10 s: the processes of a killed run may still be leaving.
 */
static int unmount_all(const char *dir)
{
	char mp[4096];
	int tries = 0;
	while (dir && mount_below(dir, mp, sizeof mp)) {
		if (umount2(mp, 0) == 0)
			continue;
		if (errno != EBUSY || ++tries > 200)
			return -1;
		usleep(50000);
	}
	return 0;
}

/* Sets the pool sizes, waiting (up to 10 s) for leaving processes to let go of huge pages. */
static int restore_pool(long pool, long overcommit)
{
	for (int tries = 0; tries < 100; tries++) {
		write_long(NR_OVERCOMMIT, overcommit);
		write_long(NR_HUGEPAGES, pool);
		if (read_long(NR_HUGEPAGES) == pool && read_long(NR_OVERCOMMIT) == overcommit)
			return 0;
		usleep(100000);
	}
	return -1;
}

/*
 * Every process the run made is gone: workers leave when their command pipe closes, and as the
 * coordinator is their subreaper, a process whose parent left becomes its child, so waitpid
 * says ECHILD only once the last one is gone (a child just forked included). Any left after a
 * second are killed: they are all in the workers' process group.
 */
static void reap_all(void)
{
	struct timespec since;
	int killed = 0;
	clock_gettime(CLOCK_MONOTONIC, &since);
	for (;;) {
		pid_t p = waitpid(-1, NULL, WNOHANG);
		if (p > 0)
			continue;
		if ((p < 0 && errno == ECHILD) || elapsed_ms(&since) > 11000)
			return;
		if (!killed && workers_pgid > 0 && elapsed_ms(&since) > 1000)
			killed = kill(-workers_pgid, SIGKILL) == 0;
		usleep(1000);
	}
}

/*
 * Every process the run made is gone, then nothing is mounted on MOUNT_DIR and the pool sizes
 * are as found, then the state file is removed: 0, or -1 when something could not be put back
 * (the state file stays for the next run).
 */
static int cleanup(void)
{
	static int done;
	if (getpid() != coordinator || done)
		return 0;
	done = 1;
	for (int p = 0; p < MAX_PROCS; p++) {
		if (cmd_w[p] >= 0)
			close(cmd_w[p]);
		cmd_w[p] = -1;
	}
	reap_all();
	/* The last close of the pipe puts the huge pages it holds, so the pool can shrink. */
	for (int i = 0; i < 2; i++) {
		if (splice_pipe[i] >= 0)
			close(splice_pipe[i]);
		splice_pipe[i] = -1;
	}
	int ok = unmount_all(mount_dir) == 0;
	if (orig_pool >= 0)
		ok = restore_pool(orig_pool, orig_overcommit) == 0 && ok;
	if (ok && state_written)
		unlink(STATE_PATH);
	return ok ? 0 : -1;
}

/* Puts everything back, or says what it could not put back and exits EXIT_RESTORE. */
static void put_back_or_fail(void)
{
	if (cleanup() == 0)
		return;
	char msg[512];
	snprintf(msg, sizeof msg,
		 "could not put the machine back: nr_hugepages %ld and nr_overcommit_hugepages %ld (found %ld and %ld), "
		 "%s; %s",
		 read_long(NR_HUGEPAGES), read_long(NR_OVERCOMMIT), orig_pool, orig_overcommit,
		 mount_dir && unmount_all(mount_dir) ? "hugetlbfs still mounted" : "nothing mounted",
		 state_written ? "the next run retries (" STATE_PATH ")" : "nothing else was changed");
	print_line("error", msg);
	exit(EXIT_RESTORE);
}

static void __attribute__((noreturn)) fail(int code, const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	print_line("error", msg);
	put_back_or_fail();
	exit(code);
}

/* ---- a killed run's leftovers ----------------------------------------------------------------- */

/* Is process PID, started at START (clock ticks after boot, field 22 of its stat), alive? */
static int alive(int pid, unsigned long long start)
{
	char path[64], buf[1024], state;
	unsigned long long t;
	snprintf(path, sizeof path, "/proc/%d/stat", pid);
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	buf[n > 0 ? n : 0] = 0;
	char *p = strrchr(buf, ')'); /* the command name may hold anything */
	if (!p || sscanf(p + 2, "%c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d %*d %llu", &state, &t) != 2)
		return 0;
	return t == start && state != 'Z' && state != 'X';
}

/* Is NAME a build folder (FOLDER_PREFIX PID-START-XXXXXX) whose owner is gone? */
static int dead_folder(const char *name)
{
	int pid, used = 0;
	unsigned long long start;
	if (sscanf(name, FOLDER_PREFIX "%d-%llu-%n", &pid, &start, &used) != 2 || !used || strlen(name + used) != 6)
		return 0;
	return pid > 0 && !alive(pid, start);
}

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	/* On failure, go on: whatever stays shows in the check after the walk. */
	(void)(type == FTW_DP ? rmdir(path) : unlink(path));
	return 0;
}

/* Appends ", "-separated text to the sweep's message. */
static void say(char *msg, size_t size, const char *fmt, ...)
{
	size_t used = strlen(msg);
	va_list ap;
	if (used && used < size - 2)
		used += snprintf(msg + used, size - used, ", ");
	va_start(ap, fmt);
	if (used < size)
		vsnprintf(msg + used, size - used, fmt, ap);
	va_end(ap);
}

/*
 * Removes the build folder PATH of a run that is gone (after unmounting anything inside it).
 * What stays is said, not fatal: the pool is what a run must put back; a folder only takes space.
 */
static void remove_folder(const char *path, char *msg, size_t size)
{
	struct stat st;
	if (lstat(path, &st) || !S_ISDIR(st.st_mode) || st.st_uid != geteuid())
		return;
	if (unmount_all(path)) {
		say(msg, size, "could not unmount what is mounted in %s (busy)", path);
		return;
	}
	/* FTW_PHYS: no symbolic link is followed; FTW_MOUNT: no other filesystem is entered. */
	nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
	say(msg, size, lstat(path, &st) ? "removed %s (its run is gone)" : "could not remove all of %s (its run is gone)", path);
}

/* The state file's value of KEY (the rest of its line), or "" */
static const char *state_value(const char *text, const char *key, char *out, size_t size)
{
	size_t len = strlen(key);
	out[0] = 0;
	for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
		if (!strncmp(l, key, len) && l[len] == ' ') {
			const char *end = strchr(l + len + 1, '\n');
			snprintf(out, size, "%.*s", (int)(end ? end - (l + len + 1) : (long)strlen(l + len + 1)), l + len + 1);
			break;
		}
	return out;
}

static void boot_id(char *out, size_t size)
{
	int fd = open("/proc/sys/kernel/random/boot_id", O_RDONLY);
	ssize_t n = fd < 0 ? -1 : read(fd, out, size - 1);
	if (fd >= 0)
		close(fd);
	out[n > 0 ? n : 0] = 0;
	out[strcspn(out, "\n")] = 0;
}

/*
 * Before a run writes its own: what it found, for the next run to put back if this one is
 * killed. Written whole under another name and renamed, so a reader sees all of it or none.
 */
static void write_state(void)
{
	char boot[64], folder[4096];
	const char *tmp = STATE_PATH ".tmp";
	boot_id(boot, sizeof boot);
	snprintf(folder, sizeof folder, "%s", mount_dir);
	*(strrchr(folder, '/') ? strrchr(folder, '/') : folder) = 0;
	unlink(tmp);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	FILE *f = fd < 0 ? NULL : fdopen(fd, "w");
	if (f)
		fprintf(f, "mmcheck-conform-state 1\nboot %s\nowner %d\npool %ld\novercommit %ld\nmount %s\nfolder %s\n", boot,
			(int)getpid(), orig_pool, orig_overcommit, mount_dir, folder);
	if (!f || fclose(f) || rename(tmp, STATE_PATH))
		fail(EXIT_BAD, "cannot write %s: %s", STATE_PATH, strerror(errno));
	state_written = 1;
}

/*
 * Under the lock, before anything else: puts back what a killed run left. A state file means
 * its writer was stopped before it had put everything back (it held this lock, so it is gone):
 * unmount its mount, set the pool sizes it found, and remove its folder once the folder's owner
 * is gone too. Then every build folder beside this probe's whose owner is gone is removed (a
 * run killed while it compiled, or between two probes). Says what it did in one line.
 */
static void sweep(void)
{
	char msg[2048] = "", text[16384], exe[4096], tmpdir[4096], v[4096];
	struct stat st;
	int fd = open(STATE_PATH, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0) {
		ssize_t n = fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_uid != geteuid() ? -1 : read(fd, text, sizeof text - 1);
		close(fd);
		text[n > 0 ? n : 0] = 0;
		char boot[64], mount[4096], folder[4096];
		boot_id(boot, sizeof boot);
		long pool = strtol(state_value(text, "pool", v, sizeof v), NULL, 10);
		long overcommit = strtol(state_value(text, "overcommit", v, sizeof v), NULL, 10);
		snprintf(mount, sizeof mount, "%s", state_value(text, "mount", v, sizeof v));
		snprintf(folder, sizeof folder, "%s", state_value(text, "folder", v, sizeof v));
		const char *base = strrchr(folder, '/');
		if (strncmp(text, "mmcheck-conform-state 1\n", 24) || !*mount || !base || strncmp(mount, folder, strlen(folder))) {
			say(msg, sizeof msg, "removed %s: not a state file this probe wrote", STATE_PATH);
		} else if (strcmp(state_value(text, "boot", v, sizeof v), boot)) {
			say(msg, sizeof msg, "removed %s of a run before the last boot", STATE_PATH);
		} else {
			long was_pool = read_long(NR_HUGEPAGES), was_overcommit = read_long(NR_OVERCOMMIT);
			char mp[4096];
			int was_mounted = mount_below(mount, mp, sizeof mp);
			if (unmount_all(mount) || restore_pool(pool, overcommit))
				fail(EXIT_RESTORE,
				     "could not put back what a killed run (probe %s) left: nr_hugepages %ld of %ld, "
				     "nr_overcommit_hugepages %ld of %ld, %s %s mounted",
				     state_value(text, "owner", v, sizeof v), read_long(NR_HUGEPAGES), pool, read_long(NR_OVERCOMMIT),
				     overcommit, mount, mount_below(mount, mp, sizeof mp) ? "still" : "not");
			say(msg, sizeof msg, "a killed run (probe %s) had left nr_hugepages %ld, nr_overcommit_hugepages %ld%s: put back %ld and %ld",
			    state_value(text, "owner", v, sizeof v), was_pool, was_overcommit, was_mounted ? " and hugetlbfs mounted" : "", pool,
			    overcommit);
			if (was_mounted)
				say(msg, sizeof msg, "unmounted %s", mount);
			if (dead_folder(base + 1))
				remove_folder(folder, msg, sizeof msg);
		}
		unlink(STATE_PATH);
	}
	/* This probe lives in its run's build folder: the folders of other runs are beside it. */
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	exe[n > 0 ? n : 0] = 0;
	snprintf(tmpdir, sizeof tmpdir, "%s", exe);
	for (int up = 0; up < 2 && strrchr(tmpdir, '/'); up++)
		*strrchr(tmpdir, '/') = 0;
	DIR *d = *tmpdir ? opendir(tmpdir) : NULL;
	for (struct dirent *e; d && (e = readdir(d));)
		if (dead_folder(e->d_name)) {
			char path[8192];
			snprintf(path, sizeof path, "%s/%s", tmpdir, e->d_name);
			remove_folder(path, msg, sizeof msg);
		}
	if (d)
		closedir(d);
	if (*msg)
		print_line("swept", msg);
}

/* SIGINT, SIGTERM and SIGHUP: the signals that ask a run to stop. */
static sigset_t stop_signals(void)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	return set;
}

/* A stop signal came (read between steps): put everything back, then die of it. */
static void check_stop(void)
{
	struct signalfd_siginfo si;
	if (read(stop_fd, &si, sizeof si) != sizeof si)
		return;
	put_back_or_fail();
	sigset_t set = stop_signals();
	signal((int)si.ssi_signo, SIG_DFL);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	raise((int)si.ssi_signo);
	_exit(128 + (int)si.ssi_signo);
}

/* ---- input -------------------------------------------------------------------------------- */

static int find_op(const char *word)
{
	for (unsigned i = 0; i < sizeof op_names / sizeof *op_names; i++)
		if (!strcmp(word, op_names[i]))
			return i;
	return -1;
}

/* Each op's arguments: how many numbers and where a name or flag word goes. */
static void parse_step(int line, char *rest, struct step *s)
{
	char w1[64] = "", w2[64] = "", w3[64] = "", w4[64] = "", w5[64] = "";
	int n = sscanf(rest, "%63s %63s %63s %63s %63s", w1, w2, w3, w4, w5);
	if (n < 0) /* EOF: no argument at all */
		n = 0;
	char *end;
#define NUM(w, dst)                                                                    \
	do {                                                                           \
		(dst) = strtol((w), &end, 10);                                         \
		if (!*(w) || *end || (dst) < 0)                                        \
			fail(EXIT_BAD, "line %d: %s: bad number \"%s\"", line, op_names[s->op], (w)); \
	} while (0)
	static const int want[] = { 1, 1, 0, 2, 2, 1, 5, 2, 2, 3, 2, 1, 0, 3, 2, 2, 2, 3, 2, 2, 2, 1, 0, 1, 1, 2 };
	if (n != want[s->op] && !(s->op == OP_MOUNT && n == 2))
		fail(EXIT_BAD, "line %d: %s takes %d arguments", line, op_names[s->op], want[s->op]);
	switch (s->op) {
	case OP_POOL:
	case OP_OVERCOMMIT:
	case OP_FORK:
		NUM(w1, s->a);
		if (s->op == OP_FORK && (s->a >= MAX_PROCS || s->a == 0))
			fail(EXIT_BAD, "line %d: fork: process %ld out of range", line, s->a);
		break;
	case OP_CREATE:
	case OP_TRUNCATE:
	case OP_TRUNCATE4K:
	case OP_WRITE4K:
		snprintf(s->name, sizeof s->name, "%s", w1);
		NUM(w2, s->a);
		break;
	case OP_CREATE4K:
		snprintf(s->name, sizeof s->name, "%s", w1);
		NUM(w2, s->a);
		NUM(w3, s->b);
		break;
	case OP_UNLINK:
		snprintf(s->name, sizeof s->name, "%s", w1);
		break;
	case OP_PUNCH:
		snprintf(s->name, sizeof s->name, "%s", w1);
		NUM(w2, s->a);
		NUM(w3, s->b);
		break;
	case OP_MMAP:
		NUM(w1, s->a);
		NUM(w2, s->b);
		snprintf(s->name, sizeof s->name, "%s", w3);
		NUM(w4, s->c);
		snprintf(s->flags, sizeof s->flags, "%s", w5);
		if (s->flags[0] != 'p' && s->flags[0] != 's')
			fail(EXIT_BAD, "line %d: mmap: flags must start with p or s", line);
		break;
	case OP_ACCESS:
	case OP_PROCMEM:
	case OP_DIO:
		NUM(w1, s->a);
		s->b = !strcmp(w2, "w");
		if (strcmp(w2, "r") && strcmp(w2, "w"))
			fail(EXIT_BAD, "line %d: %s: r or w", line, op_names[s->op]);
		break;
	case OP_MPROTECT:
		NUM(w1, s->a);
		NUM(w2, s->b);
		s->c = !strcmp(w3, "w");
		if (strcmp(w3, "r") && strcmp(w3, "w"))
			fail(EXIT_BAD, "line %d: mprotect: r or w", line);
		break;
	case OP_MUNMAP:
	case OP_MLOCK:
	case OP_MUNLOCK:
	case OP_MADVISE:
	case OP_WILLNEED:
		NUM(w1, s->a);
		NUM(w2, s->b);
		break;
	case OP_MOUNT:
		/* size= and min_size= in huge pages; - (or no arguments) leaves the option out (-1) */
		s->a = -1;
		s->b = -1;
		if (n && strcmp(w1, "-"))
			NUM(w1, s->a);
		if (n && strcmp(w2, "-"))
			NUM(w2, s->b);
		break;
	case OP_VMSPLICE:
	case OP_URING_REGISTER:
	case OP_URING_UNREGISTER:
		NUM(w1, s->a);
		break;
	case OP_EXIT:
	case OP_PIPEREAD:
		break;
	}
	if ((s->op == OP_CREATE || s->op == OP_TRUNCATE || s->op == OP_UNLINK || s->op == OP_MMAP || s->op == OP_PUNCH ||
	     s->op == OP_CREATE4K || s->op == OP_TRUNCATE4K || s->op == OP_WRITE4K) &&
	    strchr(s->name, '/'))
		fail(EXIT_BAD, "line %d: a file name has no /", line);
	if ((s->op == OP_MMAP || s->op == OP_MUNMAP || s->op == OP_MPROTECT || s->op == OP_MLOCK ||
	     s->op == OP_MUNLOCK || s->op == OP_MADVISE || s->op == OP_WILLNEED || s->op == OP_ACCESS || s->op == OP_PROCMEM || s->op == OP_DIO ||
	     s->op == OP_VMSPLICE || s->op == OP_URING_REGISTER) &&
	    (s->op == OP_URING_REGISTER ? s->a * SMALL + HUGE
	                                : (s->a + (s->op == OP_ACCESS || s->op == OP_PROCMEM || s->op == OP_DIO || s->op == OP_VMSPLICE ? 1 : s->b)) * SMALL) >
	        (unsigned long)space * HUGE)
		fail(EXIT_BAD, "line %d: %s: outside the %ld huge pages of space", line, op_names[s->op], space);
#undef NUM
}

static void read_input(void)
{
	char buf[256];
	int line = 0;
	while (fgets(buf, sizeof buf, stdin)) {
		line++;
		char word[32];
		int used;
		if (sscanf(buf, "%31s%n", word, &used) != 1)
			continue;
		if (!strcmp(word, "space")) {
			if (nsteps || sscanf(buf + used, "%ld", &space) != 1 || space < 1 || space > MAX_SPACE)
				fail(EXIT_BAD, "line %d: space N (1..%d) before the first step", line, MAX_SPACE);
			continue;
		}
		if (!strcmp(word, "watch")) {
			if (nwatch == MAX_WATCH || sscanf(buf + used, "%ld", &watch[nwatch]) != 1 || watch[nwatch] < 0)
				fail(EXIT_BAD, "line %d: watch OFF (at most %d)", line, MAX_WATCH);
			nwatch++;
			continue;
		}
		if (nsteps == MAX_STEPS)
			fail(EXIT_BAD, "line %d: more than %d steps", line, MAX_STEPS);
		struct step *s = &steps[nsteps];
		char opword[32];
		int used2;
		char *end;
		s->proc = strtol(word, &end, 10);
		if (*end || s->proc < 0 || s->proc >= MAX_PROCS)
			fail(EXIT_BAD, "line %d: a step starts with a process number 0..%d", line, MAX_PROCS - 1);
		if (sscanf(buf + used, "%31s%n", opword, &used2) != 1 || find_op(opword) < 0)
			fail(EXIT_BAD, "line %d: unknown operation", line);
		s->op = find_op(opword);
		parse_step(line, buf + used + used2, s);
		nsteps++;
	}
	for (int i = 0; i < nwatch; i++)
		if ((unsigned long)(watch[i] + 1) * SMALL > (unsigned long)space * HUGE)
			fail(EXIT_BAD, "watch %ld: outside the %ld huge pages of space", watch[i], space);
}

/* ---- worker: runs the memory operations of one process ------------------------------------ */

static sigjmp_buf access_env;
static volatile sig_atomic_t access_armed;

static void on_fault(int sig)
{
	if (access_armed)
		siglongjmp(access_env, sig);
	signal(sig, SIG_DFL);
	raise(sig);
}

/* The placeholder that keeps the range ours: any access to it is a SIGSEGV. */
#define PLACEHOLDER (MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE)

#define KPF_THP 22
#define KPF_ZERO_PAGE 24

/* The pfn this process maps at `addr` (/proc/self/pagemap; root sees pfns), or 0 if none. */
static uint64_t mapped_pfn(const void *addr)
{
	uint64_t ent = 0;
	int fd = open("/proc/self/pagemap", O_RDONLY);
	if (fd < 0 || pread(fd, &ent, 8, (uintptr_t)addr / SMALL * 8) != 8)
		ent = 0;
	if (fd >= 0)
		close(fd);
	return ent >> 63 & 1 ? ent & ((1ULL << 55) - 1) : 0;
}

/* The word for `pfn` in /proc/kpageflags or /proc/kpagecount. */
static uint64_t kpage(const char *file, uint64_t pfn)
{
	uint64_t v = 0;
	int fd = open(file, O_RDONLY);
	if (fd >= 0 && pread(fd, &v, 8, pfn * 8) != 8)
		v = 0;
	if (fd >= 0)
		close(fd);
	return v;
}

/* What this process sees of one page: present, the zero page, its map count. */
/*
 * The acting process's VMAs inside the reserved range, from /proc/self/maps, in address order:
 * where a split stays (an unaligned hugetlb munmap or mprotect fails with EINVAL after its first
 * split), only the VMA boundaries show it. The reservation's own PROT_NONE pieces are left out
 * (no step maps PROT_NONE).
 */
static int observe_vmas(struct vma_obs *v)
{
	char line[512];
	int n = 0;
	uintptr_t lo = (uintptr_t)base, hi = (uintptr_t)base + space * HUGE;
	FILE *f = fopen("/proc/self/maps", "r");
	if (!f)
		return 0;
	while (n < MAX_VMAS && fgets(line, sizeof line, f)) {
		unsigned long s, e;
		char perms[8];
		if (sscanf(line, "%lx-%lx %7s", &s, &e, perms) != 3 || e <= lo || s >= hi || perms[0] != 'r')
			continue;
		v[n].start = ((long)(s < lo ? lo : s) - (long)lo) / SMALL;
		v[n].end = ((long)(e > hi ? hi : e) - (long)lo) / SMALL;
		v[n].write = perms[1] == 'w';
		n++;
	}
	fclose(f);
	return n;
}

static struct page_obs observe(long off)
{
	struct page_obs o = { 0, 0, 0 };
	uint64_t pfn = mapped_pfn(base + off * SMALL);
	if (!pfn)
		return o;
	o.present = 1;
	o.zero = kpage("/proc/kpageflags", pfn) >> KPF_ZERO_PAGE & 1;
	o.mapcount = (int)kpage("/proc/kpagecount", pfn);
	return o;
}

/* A create4k file: beside MOUNT_DIR, named after it (one run's files are its own), in the
 * runner's folder, which the runner removes. */
static void file4k_path(char *path, size_t size, const char *name)
{
	snprintf(path, size, "%s.f4k-%s", mount_dir, name);
}

/* The worker's io_uring, made at its first uring_register (-1: none yet). */
static int uring_fd = -1;

static void run_step(const struct step *s, struct result *r, int *me)
{
	char path[4200];
	char *at = base + s->a * SMALL;
	errno = 0;
	switch (s->op) {
	case OP_CREATE: {
		snprintf(path, sizeof path, "%s/%s", mount_dir, s->name);
		int fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0600);
		r->ret = fd < 0 ? -1 : ftruncate(fd, s->a * HUGE);
		if (fd >= 0)
			close(fd);
		break;
	}
	case OP_TRUNCATE:
		snprintf(path, sizeof path, "%s/%s", mount_dir, s->name);
		r->ret = truncate(path, s->a * HUGE);
		break;
	case OP_CREATE4K: {
		/* Written, synced and dropped from the page cache, so that faults read it in. */
		static const char data[SMALL] = { [0 ... SMALL - 1] = 'x' };
		file4k_path(path, sizeof path, s->name);
		int fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0600);
		r->ret = fd < 0 ? -1 : ftruncate(fd, s->a * SMALL);
		for (long i = 0; !r->ret && s->b && i < s->a; i++)
			r->ret = pwrite(fd, data, SMALL, i * SMALL) == (ssize_t)SMALL ? 0 : -1;
		if (!r->ret)
			r->ret = fsync(fd) || posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
		if (fd >= 0)
			close(fd);
		break;
	}
	case OP_TRUNCATE4K:
		file4k_path(path, sizeof path, s->name);
		r->ret = truncate(path, s->a * SMALL);
		break;
	case OP_WRITE4K: {
		static const char data[SMALL] = { [0 ... SMALL - 1] = 'w' };
		file4k_path(path, sizeof path, s->name);
		int fd = open(path, O_WRONLY);
		r->ret = fd < 0 || pwrite(fd, data, SMALL, s->a * SMALL) != (ssize_t)SMALL ? -1 : 0;
		r->err = errno;
		if (fd >= 0)
			close(fd);
		errno = r->err;
		break;
	}
	case OP_UNLINK:
		snprintf(path, sizeof path, "%s/%s", mount_dir, s->name);
		r->ret = unlink(path);
		break;
	case OP_PUNCH: {
		snprintf(path, sizeof path, "%s/%s", mount_dir, s->name);
		int fd = open(path, O_RDWR);
		r->ret = fd < 0 ? -1 : fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, s->a * HUGE, s->b * HUGE);
		if (fd >= 0)
			close(fd);
		break;
	}
	case OP_MMAP: {
		int fd = -1;
		int flags = MAP_FIXED | (s->flags[0] == 's' ? MAP_SHARED : MAP_PRIVATE);
		int prot = PROT_READ | (strchr(s->flags, 'w') ? PROT_WRITE : 0);
		if (strchr(s->flags, 'n'))
			flags |= MAP_NORESERVE;
		if (strchr(s->flags, 'P'))
			flags |= MAP_POPULATE;
		if (!strcmp(s->name, "-")) {
			flags |= MAP_ANONYMOUS | (strchr(s->flags, 'h') ? MAP_HUGETLB : 0);
		} else {
			if (strchr(s->flags, 'f'))
				file4k_path(path, sizeof path, s->name);
			else
				snprintf(path, sizeof path, "%s/%s", mount_dir, s->name);
			fd = open(path, O_RDWR);
			if (fd < 0) {
				r->ret = -1;
				break;
			}
		}
		/* The file's fd is not needed once mapped: the VMA holds the file. */
		int thp = strchr(s->flags, 't') != NULL;
		/* The run disabled THP (see main): a THP mapping's process takes it back. Its other
		 * 4 KiB mappings are smaller than 2 MiB and no THP can map them. */
		if (thp && prctl(PR_SET_THP_DISABLE, 0, 0, 0, 0)) {
			r->ret = -1;
			break;
		}
		void *p = mmap(at, thp ? HUGE : s->b * SMALL, prot, flags, fd, s->c * HUGE);
		if (p != MAP_FAILED && thp && madvise(p, HUGE, MADV_HUGEPAGE))
			p = MAP_FAILED;
		r->err = errno;
		if (fd >= 0)
			close(fd);
		errno = r->err;
		r->ret = p == MAP_FAILED ? -1 : 0;
		break;
	}
	case OP_ACCESS: {
		int sig = sigsetjmp(access_env, 1);
		if (!sig) {
			access_armed = 1;
			if (s->b)
				*(volatile char *)at = 1;
			else
				(void)*(volatile char *)at;
		}
		access_armed = 0;
		r->sig = sig;
		r->ret = 0;
		break;
	}
	case OP_PROCMEM: {
		/* access_remote_vm: get_user_pages with FOLL_FORCE, as ptrace does. */
		char c = 1;
		int fd = open("/proc/self/mem", O_RDWR | O_CLOEXEC);
		ssize_t n = fd < 0 ? -1 : s->b ? pwrite(fd, &c, 1, (off_t)(uintptr_t)at) : pread(fd, &c, 1, (off_t)(uintptr_t)at);
		r->err = errno;
		if (fd >= 0)
			close(fd);
		errno = r->err;
		r->ret = n == 1 ? 0 : -1;
		break;
	}
	case OP_DIO: {
		/* Direct I/O pins the buffer (pin_user_pages_fast; FOLL_WRITE when the read fills it). */
		snprintf(path, sizeof path, "%s.dio", mount_dir);
		int fd = open(path, O_RDWR | O_CREAT | O_DIRECT | O_CLOEXEC, 0600);
		ssize_t n = fd < 0 || ftruncate(fd, SMALL) ? -1 : s->b ? pread(fd, at, SMALL, 0) : pwrite(fd, at, SMALL, 0);
		r->err = errno;
		if (fd >= 0)
			close(fd);
		errno = r->err;
		r->ret = n == (ssize_t)SMALL ? 0 : -1;
		break;
	}
	case OP_VMSPLICE: {
		/* vmsplice_to_pipe: iov_iter_get_pages2 takes a reference (no FOLL_PIN), which the pipe
		 * buffer holds until it is read or the pipe's last close. */
		struct iovec iov = { .iov_base = at, .iov_len = SMALL };
		ssize_t n = vmsplice(splice_pipe[1], &iov, 1, 0);
		r->ret = n == (ssize_t)SMALL ? 0 : -1;
		break;
	}
	case OP_PIPEREAD: {
		static char buf[SMALL];
		ssize_t n = read(splice_pipe[0], buf, SMALL);
		r->ret = n == (ssize_t)SMALL ? 0 : -1;
		break;
	}
	case OP_URING_REGISTER: {
		/* io_sqe_buffers_register → io_pin_pages: pin_user_pages_fast(FOLL_WRITE | FOLL_LONGTERM)
		 * of the huge page, kept until unregistered (a fork's child inherits the ring's fd, not
		 * the buffers). Root is not charged against RLIMIT_MEMLOCK (CAP_IPC_LOCK). */
		if (uring_fd < 0) {
			struct io_uring_params params = { 0 };
			uring_fd = (int)syscall(__NR_io_uring_setup, 1, &params);
		}
		struct iovec iov = { .iov_base = at, .iov_len = HUGE };
		r->ret = uring_fd < 0 ? -1 : (int)syscall(__NR_io_uring_register, uring_fd, IORING_REGISTER_BUFFERS, &iov, 1);
		break;
	}
	case OP_URING_UNREGISTER:
		errno = EBADF;
		r->ret = uring_fd < 0 ? -1 : (int)syscall(__NR_io_uring_register, uring_fd, IORING_UNREGISTER_BUFFERS, NULL, 0);
		break;
	case OP_MUNMAP:
		r->ret = munmap(at, s->b * SMALL);
		r->err = errno;
		/* Keep the hole ours, so that no allocation of this process lands in it. */
		if (!r->ret)
			mmap(at, s->b * SMALL, PROT_NONE, PLACEHOLDER | MAP_FIXED_NOREPLACE, -1, 0);
		errno = r->err;
		break;
	case OP_MPROTECT:
		r->ret = mprotect(at, s->b * SMALL, PROT_READ | (s->c ? PROT_WRITE : 0));
		break;
	case OP_MLOCK:
		r->ret = mlock(at, s->b * SMALL);
		break;
	case OP_MUNLOCK:
		r->ret = munlock(at, s->b * SMALL);
		break;
	case OP_MADVISE:
		r->ret = madvise(at, s->b * SMALL, MADV_DONTNEED);
		break;
	case OP_WILLNEED:
		r->ret = madvise(at, s->b * SMALL, MADV_WILLNEED);
		break;
	case OP_FORK: {
		pid_t pid = fork();
		if (pid == 0) {
			*me = s->a;
			r->ret = 0;
			return;
		}
		r->ret = pid < 0 ? -1 : 0;
		r->child_pid = pid;
		break;
	}
	case OP_EXIT:
		r->ret = 0;
		break;
	default: /* pool, overcommit and mount are the coordinator's */
		errno = EINVAL;
		r->ret = -1;
		break;
	}
	r->err = r->ret < 0 ? errno : 0;
}

static void __attribute__((noreturn)) worker(int cmd_r[MAX_PROCS], int res_w)
{
	int me = 0;
	struct sigaction sa = { .sa_handler = on_fault };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGBUS, &sa, NULL);
	sigaction(SIGSEGV, &sa, NULL);
	/* Children are reaped by the kernel; the coordinator follows them through pidfds. */
	signal(SIGCHLD, SIG_IGN);
	/* Stop signals are the coordinator's, which ends the run; a worker leaves at EOF. */
	sigset_t stops = stop_signals();
	signal(SIGINT, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	sigprocmask(SIG_UNBLOCK, &stops, NULL);
	for (;;) {
		int i;
		if (read(cmd_r[me], &i, sizeof i) != sizeof i)
			_exit(0); /* the coordinator is gone or done */
		struct result r = { 0 };
		int was = me;
		run_step(&steps[i], &r, &me);
		if (me != was) /* the child of a fork: it speaks when its own steps come */
			continue;
		if (steps[i].op != OP_EXIT) {
			r.npages = nwatch;
			for (int w = 0; w < nwatch; w++)
				r.pages[w] = observe(watch[w]);
			r.nvmas = observe_vmas(r.vmas);
		}
		if (write(res_w, &r, sizeof r) != sizeof r)
			_exit(1);
		if (steps[i].op == OP_EXIT)
			_exit(0);
	}
}

/* ---- coordinator ---------------------------------------------------------------------------- */

/*
 * The counters are unsigned long in the kernel; one that went below zero shows as 2^64 - n in
 * /proc/meminfo. Printed as signed, it reads -n.
 */
static void meminfo(long long c[4])
{
	static const char *const names[4] = { "HugePages_Total:", "HugePages_Free:", "HugePages_Rsvd:", "HugePages_Surp:" };
	char line[128];
	FILE *f = fopen("/proc/meminfo", "r");
	if (!f)
		fail(EXIT_BAD, "cannot read /proc/meminfo: %s", strerror(errno));
	for (int i = 0; i < 4; i++)
		c[i] = -1;
	while (fgets(line, sizeof line, f))
		for (int i = 0; i < 4; i++)
			if (!strncmp(line, names[i], strlen(names[i])))
				c[i] = (long long)strtoull(line + strlen(names[i]), NULL, 10);
	fclose(f);
}

static void coordinator_step(const struct step *s, struct result *r)
{
	switch (s->op) {
	case OP_POOL:
	case OP_OVERCOMMIT: {
		const char *path = s->op == OP_POOL ? "/proc/sys/vm/nr_hugepages" : "/proc/sys/vm/nr_overcommit_hugepages";
		r->ret = write_long(path, s->a);
		r->err = r->ret ? errno : 0;
		if (s->op == OP_POOL && read_long(path) != s->a)
			fail(EXIT_POOL, "pool: asked for %ld huge pages, the kernel has %ld", s->a, read_long(path));
		break;
	}
	case OP_MOUNT: {
		char opts[96] = "pagesize=2M";
		size_t n = strlen(opts);
		if (s->a >= 0)
			n += snprintf(opts + n, sizeof opts - n, ",size=%ldM", s->a * (long)(HUGE >> 20));
		if (s->b >= 0)
			snprintf(opts + n, sizeof opts - n, ",min_size=%ldM", s->b * (long)(HUGE >> 20));
		r->ret = mount("none", mount_dir, "hugetlbfs", 0, opts);
		r->err = r->ret ? errno : 0;
		if (r->ret)
			fail(EXIT_MOUNT, "mount hugetlbfs (%s) on %s: %s", opts, mount_dir, strerror(errno));
		break;
	}
	default:
		break;
	}
}

/* Hands step i to its process and waits for the result (or for the process to die). */
static void worker_step(int i, int res_r, struct result *r)
{
	const struct step *s = &steps[i];
	if (cmd_w[s->proc] < 0 || pidfd[s->proc] < 0)
		fail(EXIT_BAD, "step %d: process %d does not exist", i, s->proc);
	if (write(cmd_w[s->proc], &i, sizeof i) != sizeof i)
		fail(EXIT_BAD, "step %d: process %d is gone", i, s->proc);
	/* The result, the process's death (a signal the step did not expect) or a stop signal:
	 * whichever comes. */
	struct pollfd p[3] = { { .fd = res_r, .events = POLLIN },
			       { .fd = pidfd[s->proc], .events = POLLIN },
			       { .fd = stop_fd, .events = POLLIN } };
	if (poll(p, 3, 20000) <= 0)
		fail(EXIT_BAD, "step %d (%s): no answer from process %d", i, op_names[s->op], s->proc);
	if (p[2].revents)
		check_stop();
	if (!p[0].revents)
		fail(EXIT_BAD, "step %d (%s): process %d died", i, op_names[s->op], s->proc);
	size_t got = 0;
	while (got < sizeof *r) {
		ssize_t n = read(res_r, (char *)r + got, sizeof *r - got);
		if (n <= 0)
			fail(EXIT_BAD, "step %d: short result", i);
		got += n;
	}
	if (s->op == OP_FORK && r->ret == 0) {
		if (pidfd[s->a] >= 0)
			fail(EXIT_BAD, "step %d: process %ld already exists", i, s->a);
		pidfd[s->a] = syscall(SYS_pidfd_open, r->child_pid, 0);
		if (pidfd[s->a] < 0)
			fail(EXIT_BAD, "pidfd_open: %s", strerror(errno));
	}
	if (s->op == OP_EXIT) {
		/* The counters are read once exit_mmap is over: the process is gone. */
		if (poll_one(pidfd[s->proc], 10000) <= 0)
			fail(EXIT_BAD, "step %d: process %d did not exit", i, s->proc);
		close(pidfd[s->proc]);
		pidfd[s->proc] = -1;
		close(cmd_w[s->proc]);
		cmd_w[s->proc] = -1;
	}
}

static void print_step(int i, const struct result *r, int with_pages)
{
	long long c[4];
	meminfo(c);
	printf("{\"step\":%d,\"proc\":%d,\"op\":\"%s\",\"ret\":%ld,\"errno\":%d,\"signal\":", i, steps[i].proc,
	       op_names[steps[i].op], r->ret, r->err);
	if (r->sig)
		json_string(r->sig == SIGBUS ? "SIGBUS" : "SIGSEGV"); /* the only signals caught */
	else
		fputs("null", stdout);
	printf(",\"total\":%lld,\"free\":%lld,\"rsvd\":%lld,\"surp\":%lld,\"pages\":", c[0], c[1], c[2], c[3]);
	if (!with_pages) {
		fputs("null,\"vmas\":null}\n", stdout);
	} else {
		putchar('[');
		for (int w = 0; w < r->npages; w++)
			printf("%s{\"present\":%s,\"zero\":%s,\"mapcount\":%d}", w ? "," : "",
			       r->pages[w].present ? "true" : "false", r->pages[w].zero ? "true" : "false",
			       r->pages[w].mapcount);
		fputs("],\"vmas\":[", stdout);
		for (int v = 0; v < r->nvmas; v++)
			printf("%s[%ld,%ld,%d]", v ? "," : "", r->vmas[v].start, r->vmas[v].end, r->vmas[v].write);
		fputs("]}\n", stdout);
	}
	fflush(stdout);
}

/* One run at a time on this machine: the pool is global. Held until the process ends. */
static int take_lock(void)
{
	int lock = open(LOCK_PATH, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (lock < 0 || flock(lock, LOCK_EX) != 0)
		fail(EXIT_BAD, "cannot lock %s: %s", LOCK_PATH, strerror(errno));
	return lock;
}

/*
 * probe --profile: what this kernel does where kernels differ, measured, as one JSON line.
 * zeroPage: a read fault of private anonymous memory maps the zero page (KPF_ZERO_PAGE), or a
 * page of its own where mm_forbids_zeropage(). kpagecount: with CONFIG_PAGE_MAPCOUNT it counts
 * the mappings of each page; without, every page of a large folio reads the folio's average
 * (fs/proc/page.c, v6.18). Told apart on a THP whose second half is unmapped: its last page is
 * mapped nowhere, yet the average is 1. Without a THP to try it on: unknown. overcommit: as
 * the host has it, once what a killed run left is put back (if no run holds the lock: one that
 * does is alive, and puts back what it changes itself).
 */
static int profile_mode(void)
{
	int lock = open(LOCK_PATH, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (lock >= 0 && flock(lock, LOCK_EX | LOCK_NB) == 0)
		sweep();
	long overcommit = read_long(NR_OVERCOMMIT);
	if (overcommit < 0)
		fail(EXIT_BAD, "cannot read %s: %s", NR_OVERCOMMIT, strerror(errno));
	char *p = mmap(NULL, SMALL, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		fail(EXIT_BAD, "mmap: %s", strerror(errno));
	(void)*(volatile char *)p;
	uint64_t pfn = mapped_pfn(p);
	if (!pfn)
		fail(EXIT_BAD, "a read fault mapped nothing, or /proc/self/pagemap hides pfns (not root?)");
	int zero = kpage("/proc/kpageflags", pfn) >> KPF_ZERO_PAGE & 1;

	const char *count = "unknown";
	char *raw = mmap(NULL, 2 * HUGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (raw != MAP_FAILED) {
		char *h = (char *)(((uintptr_t)raw + HUGE - 1) & ~(HUGE - 1));
		madvise(h, HUGE, MADV_HUGEPAGE);
		*(volatile char *)h = 1;
		uint64_t head = mapped_pfn(h);
		if (head && kpage("/proc/kpageflags", head) >> KPF_THP & 1) {
			uint64_t last = head + HUGE / SMALL - 1;
			munmap(h + HUGE / 2, HUGE / 2);
			if (kpage("/proc/kpageflags", last) >> KPF_THP & 1)
				count = kpage("/proc/kpagecount", last) == 0 ? "per-page" : "per-folio";
		}
	}
	printf("{\"zeroPage\":\"%s\",\"kpagecount\":\"%s\",\"overcommit\":%ld}\n", zero ? "mapped" : "forbidden", count, overcommit);
	return 0;
}

/* The runner's safety net (see the top): signals wait until everything is back. */
static int restore_mode(int argc, char **argv)
{
	sigset_t set = stop_signals();
	sigprocmask(SIG_BLOCK, &set, NULL);
	if (argc == 5) {
		char *e1, *e2;
		long pool = strtol(argv[2], &e1, 10), overcommit = strtol(argv[3], &e2, 10);
		if (*e1 || *e2 || pool < 0 || overcommit < 0)
			fail(EXIT_BAD, "usage: probe --restore [NR_HUGEPAGES NR_OVERCOMMIT MOUNT_DIR]");
		take_lock();
		sweep();
		/* What cleanup puts back. */
		orig_pool = pool;
		orig_overcommit = overcommit;
		mount_dir = argv[4];
	} else {
		take_lock();
		sweep();
	}
	put_back_or_fail();
	return 0;
}

int main(int argc, char **argv)
{
	coordinator = getpid();
	if ((argc == 2 || argc == 5) && !strcmp(argv[1], "--restore"))
		return restore_mode(argc, argv);
	if (argc == 2 && !strcmp(argv[1], "--profile"))
		return profile_mode();
	if (argc != 2 || argv[1][0] != '/' || strchr(argv[1], '\n'))
		fail(EXIT_BAD, "usage: probe MOUNT_DIR < ops (an absolute path)");
	mount_dir = argv[1];
	read_input();

	/* A stop signal before this ends the run with nothing changed. */
	int lock = take_lock();
	sigset_t stops = stop_signals();
	sigprocmask(SIG_BLOCK, &stops, NULL);
	stop_fd = signalfd(-1, &stops, SFD_NONBLOCK | SFD_CLOEXEC);
	if (stop_fd < 0)
		fail(EXIT_BAD, "signalfd: %s", strerror(errno));
	sweep();
	orig_pool = read_long(NR_HUGEPAGES);
	orig_overcommit = read_long(NR_OVERCOMMIT);
	if (orig_pool < 0 || orig_overcommit < 0)
		fail(EXIT_BAD, "cannot read the hugetlb pool sizes: %s", strerror(errno));
	write_state();
	printf("{\"orig\":{\"pool\":%ld,\"overcommit\":%ld}}\n", orig_pool, orig_overcommit);
	fflush(stdout);
	signal(SIGPIPE, SIG_IGN);
	/* Every process of the run, orphaned or not, stays the coordinator's to wait for. */
	if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0))
		fail(EXIT_BAD, "PR_SET_CHILD_SUBREAPER: %s", strerror(errno));
	/* Transparent huge pages would put a huge zero page where the 4 KiB ones are watched (a
	 * THP mapping, mmap flag t, enables them again in its process). */
	prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0);

	char *raw = mmap(NULL, (space + 1) * HUGE, PROT_NONE, PLACEHOLDER, -1, 0);
	if (raw == MAP_FAILED)
		fail(EXIT_BAD, "cannot reserve the address range: %s", strerror(errno));
	base = (char *)(((uintptr_t)raw + HUGE - 1) & ~(HUGE - 1));

	int cmd_r[MAX_PROCS], res[2];
	for (int p = 0; p < MAX_PROCS; p++) {
		int fds[2];
		if (pipe2(fds, O_CLOEXEC))
			fail(EXIT_BAD, "pipe: %s", strerror(errno));
		cmd_r[p] = fds[0];
		cmd_w[p] = fds[1];
	}
	if (pipe2(res, O_CLOEXEC))
		fail(EXIT_BAD, "pipe: %s", strerror(errno));
	if (pipe2(splice_pipe, O_CLOEXEC | O_NONBLOCK))
		fail(EXIT_BAD, "pipe: %s", strerror(errno));
	fflush(stdout);
	pid_t w = fork();
	if (w < 0)
		fail(EXIT_BAD, "fork: %s", strerror(errno));
	if (w == 0) {
		/* Only the coordinator writes commands: a worker sees EOF once it is gone. The first
		 * worker dies with it; the workers it forks leave at that EOF. */
		prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
		if (getppid() != coordinator)
			_exit(1);
		setpgid(0, 0);
		for (int p = 0; p < MAX_PROCS; p++)
			close(cmd_w[p]);
		close(res[0]);
		close(lock);
		close(stop_fd);
		worker(cmd_r, res[1]);
	}
	/* Both sides set it, so that it is set whichever runs first. */
	setpgid(w, w);
	workers_pgid = w;
	pidfd[0] = syscall(SYS_pidfd_open, w, 0);
	if (pidfd[0] < 0)
		fail(EXIT_BAD, "pidfd_open: %s", strerror(errno));
	for (int p = 0; p < MAX_PROCS; p++)
		close(cmd_r[p]);
	close(res[1]);

	for (int i = 0; i < nsteps; i++) {
		struct result r = { 0 };
		check_stop();
		const struct step *s = &steps[i];
		int coordinated = s->op == OP_POOL || s->op == OP_OVERCOMMIT || s->op == OP_MOUNT;
		if (coordinated)
			coordinator_step(s, &r);
		else
			worker_step(i, res[0], &r);
		print_step(i, &r, !coordinated && s->op != OP_EXIT);
	}
	put_back_or_fail();
	return 0;
}
