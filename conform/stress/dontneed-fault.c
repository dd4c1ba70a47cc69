/*
 * mmcheck finding 002: MADV_DONTNEED vs page fault on a private hugetlb mapping that has no
 * hugetlb VMA lock (MAP_NORESERVE, or a fork child's copy of a private mapping). One thread
 * drops the mapping's only page with MADV_DONTNEED while another writes to it; with a pool of
 * exactly the pages needed, the write's fault finds the pool empty while the dropped page waits
 * in the zap's mmu_gather, and gets SIGBUS. Built with cc at run time (conform/stress.ts); run
 * as root:
 *
 *   dontneed-fault reserve|noreserve|child RUNS SECONDS
 *
 * reserve: a reserved MAP_PRIVATE|MAP_HUGETLB mapping (it has resv_map->rw_sema: the control,
 * fixed in v6.7); noreserve: the same with MAP_NORESERVE; child: a reserved mapping's fork
 * child, which faults its own page, then races. Each run maps afresh and runs ITER madvise
 * calls against ITER writes; a run whose writer got SIGBUS is a hit. Stops after RUNS runs or
 * SECONDS seconds, whichever comes first.
 *
 * Output: {"orig": {"pool": N, "overcommit": N}} (the sizes to restore, read under the lock
 * conformance runs take), then {"mode": M, "runs": N, "hits": H, "seconds": S}; or
 * {"error": "..."} and exit 3 (4: the pool could not be sized or restored). The original
 * process runs no memory operation: it sizes the pool, forks the worker, and puts the pool sizes
 * back however the worker ends, on SIGINT/SIGTERM/SIGHUP, and after SECONDS + 10 s at most (it
 * kills the worker). After a SIGKILL of this process, conform/stress.ts restores the sizes with
 * the probe's --restore.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define HUGE (2UL << 20)
#define ITER 100
#define LOCK_PATH "/tmp/mmcheck-conform.lock"
#define EXIT_BAD 3
#define EXIT_POOL 4

static long orig_pool = -1, orig_overcommit = -1;
static volatile pid_t worker_pid;

static long read_long(const char *path)
{
	FILE *f = fopen(path, "r");
	long v = -1;
	if (!f)
		return -1;
	if (fscanf(f, "%ld", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

static int write_long(const char *path, long v)
{
	char buf[32];
	int fd = open(path, O_WRONLY);
	if (fd < 0)
		return -1;
	int n = snprintf(buf, sizeof(buf), "%ld\n", v);
	int ok = write(fd, buf, n) == n;
	close(fd);
	return ok ? 0 : -1;
}

/* HugePages_Free - HugePages_Rsvd: what a fault with no reservation can take. */
static long meminfo(const char *key)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[256];
	long v = -1;
	size_t n = strlen(key);
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, key, n) && line[n] == ':')
			v = strtol(line + n + 1, NULL, 10);
	if (f)
		fclose(f);
	return v;
}

static int restore(void)
{
	if (orig_pool < 0)
		return 0;
	/* The worker's pages may take a moment to go back after it dies. */
	for (int tries = 0; tries < 100; tries++) {
		write_long("/proc/sys/vm/nr_overcommit_hugepages", orig_overcommit);
		write_long("/proc/sys/vm/nr_hugepages", orig_pool);
		if (read_long("/proc/sys/vm/nr_hugepages") == orig_pool &&
		    read_long("/proc/sys/vm/nr_overcommit_hugepages") == orig_overcommit)
			return 0;
		usleep(100000);
	}
	return -1;
}

static void fail(int code, const char *fmt, const char *arg)
{
	char msg[256];
	snprintf(msg, sizeof(msg), fmt, arg);
	if (worker_pid > 0)
		kill(worker_pid, SIGKILL);
	if (restore())
		code = EXIT_POOL;
	printf("{\"error\":\"%s\"}\n", msg);
	exit(code);
}

static void on_signal(int sig)
{
	(void)sig;
	if (worker_pid > 0)
		kill(worker_pid, SIGKILL);
	while (worker_pid > 0 && waitpid(worker_pid, NULL, 0) < 0 && errno == EINTR)
		;
	_exit(restore() ? EXIT_POOL : EXIT_BAD);
}

/* The racing threads. SIGBUS is synchronous: the writer's own handler jumps back. */
static char *volatile area;
static __thread sigjmp_buf bus_jump;
static __thread volatile int bus_armed;

static void on_sigbus(int sig)
{
	if (!bus_armed) {
		signal(sig, SIG_DFL);
		raise(sig);
	}
	siglongjmp(bus_jump, 1);
}

static void *madv(void *arg)
{
	(void)arg;
	for (int i = 0; i < ITER; i++)
		madvise(area, HUGE, MADV_DONTNEED);
	return NULL;
}

static void *touch(void *arg)
{
	int *hit = arg;
	if (sigsetjmp(bus_jump, 1)) {
		bus_armed = 0;
		*hit = 1;
		return NULL;
	}
	bus_armed = 1;
	for (int i = 0; i < ITER; i++)
		area[i] = (char)i;
	bus_armed = 0;
	return NULL;
}

/* One race on `area` (its page faulted in first): 1 if the writer got SIGBUS. */
static int race(void)
{
	pthread_t a, b;
	int hit = 0;
	if (sigsetjmp(bus_jump, 1)) {
		bus_armed = 0;
		return -1; /* the first fault itself failed: the pool is not as sized */
	}
	bus_armed = 1;
	area[0] = 1;
	bus_armed = 0;
	if (pthread_create(&a, NULL, madv, NULL) || pthread_create(&b, NULL, touch, &hit))
		return -1;
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	return hit;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The worker: runs the races, reports on its stdout, exits 0 (or EXIT_BAD on a broken run). */
static int worker(const char *mode, long runs, long seconds)
{
	struct sigaction sa = { .sa_handler = on_sigbus, .sa_flags = SA_NODEFER };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGBUS, &sa, NULL);
	int child = !strcmp(mode, "child");
	int flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | (!strcmp(mode, "noreserve") ? MAP_NORESERVE : 0);
	double start = now();
	long n = 0, hits = 0;
	for (; n < runs && now() - start < seconds; n++) {
		area = mmap(NULL, HUGE, PROT_READ | PROT_WRITE, flags, -1, 0);
		if (area == MAP_FAILED) {
			printf("{\"error\":\"mmap: %s\"}\n", strerror(errno));
			return EXIT_BAD;
		}
		int hit;
		if (child) {
			/* The child's copy of the VMA has no reserve map: it faults a page of its own. */
			pid_t c = fork();
			if (c < 0)
				return EXIT_BAD;
			if (c == 0) {
				int r = race();
				_exit(r < 0 ? 2 : r);
			}
			int st;
			while (waitpid(c, &st, 0) < 0 && errno == EINTR)
				;
			hit = WIFEXITED(st) && WEXITSTATUS(st) <= 1 ? WEXITSTATUS(st) : -1;
		} else {
			hit = race();
		}
		munmap(area, HUGE);
		if (hit < 0) {
			printf("{\"error\":\"run %ld: the first write to a fresh mapping failed\"}\n", n);
			return EXIT_BAD;
		}
		hits += hit;
	}
	printf("{\"mode\":\"%s\",\"runs\":%ld,\"hits\":%ld,\"seconds\":%.1f}\n", mode, n, hits, now() - start);
	fflush(stdout);
	return 0;
}

int main(int argc, char **argv)
{
	char *e1 = "", *e2 = "";
	long runs = argc == 4 ? strtol(argv[2], &e1, 10) : 0;
	long seconds = argc == 4 ? strtol(argv[3], &e2, 10) : 0;
	if (argc != 4 || *e1 || *e2 || runs <= 0 || seconds <= 0 || seconds > 3600 ||
	    (strcmp(argv[1], "reserve") && strcmp(argv[1], "noreserve") && strcmp(argv[1], "child"))) {
		printf("{\"error\":\"usage: dontneed-fault reserve|noreserve|child RUNS SECONDS (1..3600)\"}\n");
		return EXIT_BAD;
	}
	/* One user of the pool at a time on this machine: the conformance probe's lock. */
	int lock = open(LOCK_PATH, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (lock < 0 || flock(lock, LOCK_EX) != 0)
		fail(EXIT_BAD, "cannot lock %s", LOCK_PATH);
	struct sigaction sa = { .sa_handler = on_signal };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGALRM, &sa, NULL);
	orig_pool = read_long("/proc/sys/vm/nr_hugepages");
	orig_overcommit = read_long("/proc/sys/vm/nr_overcommit_hugepages");
	if (orig_pool < 0 || orig_overcommit < 0)
		fail(EXIT_BAD, "cannot read the hugetlb pool sizes%s", "");
	printf("{\"orig\":{\"pool\":%ld,\"overcommit\":%ld}}\n", orig_pool, orig_overcommit);
	fflush(stdout);
	alarm(seconds + 10);

	/* Exactly the pages a run needs free and unreserved: one, and in child mode one more for
	 * the parent's reservation. No surplus pages: nothing else may top the pool up. */
	long need = strcmp(argv[1], "child") ? 1 : 2;
	if (write_long("/proc/sys/vm/nr_overcommit_hugepages", 0))
		fail(EXIT_POOL, "cannot write nr_overcommit_hugepages: %s", strerror(errno));
	long in_use = meminfo("HugePages_Total") - meminfo("HugePages_Free");
	if (write_long("/proc/sys/vm/nr_hugepages", in_use + meminfo("HugePages_Rsvd") + need))
		fail(EXIT_POOL, "cannot write nr_hugepages: %s", strerror(errno));
	if (meminfo("HugePages_Free") - meminfo("HugePages_Rsvd") != need || meminfo("HugePages_Surp") != 0)
		fail(EXIT_POOL, "could not size the pool to %s free page(s)", need == 1 ? "1" : "2");

	fflush(stdout);
	pid_t w = fork();
	if (w < 0)
		fail(EXIT_BAD, "fork: %s", strerror(errno));
	if (w == 0) {
		close(lock);
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGHUP, SIG_DFL);
		alarm(0);
		_exit(worker(argv[1], runs, seconds));
	}
	worker_pid = w;
	int st;
	while (waitpid(w, &st, 0) < 0 && errno == EINTR)
		;
	worker_pid = 0;
	if (restore())
		fail(EXIT_POOL, "could not restore the pool sizes%s", "");
	if (!WIFEXITED(st))
		fail(EXIT_BAD, "the worker died of signal %s", strsignal(WTERMSIG(st)));
	return WEXITSTATUS(st);
}
